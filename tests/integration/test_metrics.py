"""Metrics (issue 9 part 3): children's counters reach master, which adds
them up per service; `postern status --metrics` prints the Prometheus
text master renders.  (The HTTP endpoint, metrics_listen, is not built
yet.)"""
import re
import smtplib
import time
import unittest

from harness import MailInstance, wait_for


def parse(text):
    """{(name, frozenset(labels)): value} from the text format 0.0.4."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_:][a-z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = frozenset(re.findall(r'([a-z_]+)="([^"]*)"',
                                      m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = MailInstance()
        cls.inst.start()
        cls.inst.add_user("bob@example.test")

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def metrics(self):
        r = self.inst.cmd("status", "--metrics")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout, parse(r.stdout)

    def value(self, name, **labels):
        _, m = self.metrics()
        return m.get((name, frozenset(labels.items())))

    def test_counts_after_known_messages(self):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port,
                          timeout=30) as s:
            for i in range(5):
                s.sendmail("a@remote.test", ["bob@example.test"],
                           f"Subject: m{i}\r\n\r\nbody\r\n")
            for i in range(2):
                code, _ = s.docmd("MAIL FROM:<a@remote.test>")
                self.assertEqual(code, 250)
                code, _ = s.docmd("RCPT TO:<nobody@example.test>")
                self.assertEqual(code, 550)
                s.rset()
        self.inst.wait_mail("bob@example.test", 5)
        # Children send at most once a second.
        self.assertTrue(wait_for(lambda: self.value(
            "postern_smtpd_messages_total", service="smtp",
            result="accepted") == 5, timeout=5), self.metrics()[0])
        self.assertEqual(self.value("postern_smtpd_rejects_total",
                                    service="smtp",
                                    reason="rcpt_unknown"), 2)
        text, m = self.metrics()
        self.assertIn("# TYPE postern_smtpd_messages_total counter", text)
        self.assertGreaterEqual(m[("postern_master_connections_total",
                                   frozenset({("service", "smtp")}))], 1)
        self.assertGreaterEqual(m[("postern_master_processes",
                                   frozenset({("service", "qmgr")}))], 1)

    def test_status_still_works(self):
        r = self.inst.cmd("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("smtp", r.stdout)


if __name__ == "__main__":
    unittest.main()
