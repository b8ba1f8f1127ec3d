"""Metrics (issue 9 part 3): children's counters reach master, which adds
them up per service and serves them on metrics_listen (HTTP, loopback or
a unix socket); `postern status --metrics` prints the same text."""
import http.client
import os
import re
import smtplib
import socket
import unittest

from harness import ImapInstance, MailInstance, client_tls, free_port, wait_for


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


def listening_ports(pid):
    """The TCP ports a process holds listening sockets on (/proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.inst = MailInstance(f"metrics_listen = 127.0.0.1:{cls.port}\n")
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
        self.assertTrue(wait_for(lambda: self.value(
            "postern_qmgr_recipients_total", service="qmgr",
            result="delivered", transport="local") == 5, timeout=5),
            self.metrics()[0])
        text, m = self.metrics()
        self.assertIn("# TYPE postern_smtpd_messages_total counter", text)
        self.assertIn("# TYPE postern_qmgr_delivery_seconds histogram",
                      text)
        hist = frozenset({("service", "qmgr"), ("transport", "local")})
        self.assertEqual(m[("postern_qmgr_delivery_seconds_count", hist)],
                         5)
        self.assertEqual(m[("postern_qmgr_delivery_seconds_bucket",
                            hist | {("le", "+Inf")})], 5)
        r = self.inst.cmd("status")
        self.assertIn("totals: accepted 5, rejected 2, delivered 5, "
                      "deferred 0, bounced 0", r.stdout)
        self.assertGreaterEqual(m[("postern_master_connections_total",
                                   frozenset({("service", "smtp")}))], 1)
        # Commands by verb, from smtpd's own table: 5 sent + 2 refused.
        for verb in ("MAIL", "RCPT"):
            self.assertGreaterEqual(self.value(
                "postern_smtpd_commands_total", service="smtp",
                verb=verb), 7)
        self.assertGreaterEqual(self.value(
            "postern_smtpd_commands_total", service="smtp", verb="DATA"), 5)
        self.assertGreaterEqual(m[("postern_master_processes",
                                   frozenset({("service", "qmgr")}))], 1)

    def test_tls_versions_and_unknown_commands(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.inst.smtps_port, timeout=30,
                              context=client_tls()) as s:
            s.ehlo("client.test")
            self.assertEqual(s.docmd("FROBNICATE")[0], 500)
            version = s.sock.version()
        self.assertTrue(wait_for(lambda: (self.value(
            "postern_tls_handshakes_total", service="smtps", result="ok",
            version=version) or 0) >= 1, timeout=5), self.metrics()[0])
        self.assertGreaterEqual(self.value(
            "postern_smtpd_commands_total", service="smtps",
            verb="unknown"), 1)
        # A client that gives up in the handshake is counted as failed.
        with socket.create_connection(("127.0.0.1",
                                       self.inst.smtps_port)) as raw:
            raw.sendall(b"\x16\x03\x01\x00\x05hello")
            raw.recv(100)
        self.assertTrue(wait_for(lambda: (self.value(
            "postern_tls_handshakes_total", service="smtps",
            result="failed") or 0) >= 1, timeout=5), self.metrics()[0])

    def test_queue_gauges(self):
        held = os.path.join(self.inst.dir, "queue", "hold",
                            "0000000000000000")
        self.assertTrue(wait_for(lambda: self.value(
            "postern_qmgr_queue_messages", service="qmgr",
            queue="hold") == 0, timeout=5), self.metrics()[0])
        open(held, "w").close()
        try:
            self.assertTrue(wait_for(lambda: self.value(
                "postern_qmgr_queue_messages", service="qmgr",
                queue="hold") == 1, timeout=8), self.metrics()[0])
        finally:
            os.unlink(held)
        for q in ("incoming", "active", "deferred", "corrupt"):
            self.assertIsNotNone(self.value(
                "postern_qmgr_queue_messages", service="qmgr", queue=q))

    def get(self, path, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r, body

    def test_http_endpoint(self):
        self.assertIn(self.port, listening_ports(self.inst.proc.pid))
        r, body = self.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"),
                         "text/plain; version=0.0.4")
        m = parse(body)
        self.assertIn(("postern_master_processes",
                       frozenset({("service", "qmgr")})), m)
        self.assertEqual(self.get("/other")[0].status, 404)
        self.assertEqual(self.get("/metrics", "POST")[0].status, 405)

    def test_bad_requests_do_not_hurt_master(self):
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(b"GET /" + b"x" * 8000 + b" HTTP/1.1\r\n")
            self.assertIn(b"431", s.recv(4096))
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(b"\x00\xff garbage\r\n\r\n")
            self.assertIn(b"400", s.recv(4096))
        self.assertEqual(self.get("/metrics")[0].status, 200)

    def test_status_still_works(self):
        r = self.inst.cmd("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("smtp", r.stdout)


class MetricsSettingsTest(unittest.TestCase):
    def test_off_by_default_and_unix_socket(self):
        inst = MailInstance()
        try:
            inst.start()
            self.assertNotIn("metrics", inst.log())
            # Master listens on its services' ports and nothing else.
            ports = {int(m) for m in re.findall(
                r"^\S+\s+inet\s+127\.0\.0\.1:(\d+)",
                open(os.path.join(inst.dir, "master.conf")).read(), re.M)}
            self.assertEqual(listening_ports(inst.proc.pid), ports)
            sock = os.path.join(inst.dir, "metrics.sock")
            inst.set_conf("metrics_listen", f"unix:{sock}")
            inst.stop()
            inst.start()
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(sock)
                s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            self.assertTrue(data.startswith(b"HTTP/1.0 200"), data[:100])
            self.assertIn(b"postern_master_processes", data)
        finally:
            inst.cleanup()

    def test_non_loopback_refused(self):
        inst = MailInstance("metrics_listen = 0.0.0.0:9\n")
        try:
            proc = inst.start(expect_ok=False)
            self.assertNotEqual(proc.wait(20), 0)
            self.assertIn("metrics_listen = 0.0.0.0:9: not a loopback",
                          inst.log())
        finally:
            inst.cleanup()


class MailboxMetricsTest(unittest.TestCase):
    def test_imap_and_pop3_logins_and_commands(self):
        inst = ImapInstance()
        try:
            inst.start()
            inst.add_user("carol@example.test")
            c = inst.imap("carol@example.test")
            c.select("INBOX")
            c.logout()
            c = inst.imap()
            with self.assertRaises(Exception):
                c.login("carol@example.test", "wrong")
            c.shutdown()
            p = inst.pop3("carol@example.test")
            p.stat()
            p.quit()

            def value(name, **labels):
                r = inst.cmd("status", "--metrics")
                return parse(r.stdout).get((name,
                                            frozenset(labels.items())))
            self.assertTrue(wait_for(lambda: value(
                "postern_logins_total", service="imap",
                result="failed") == 1, timeout=5))
            self.assertEqual(value("postern_logins_total", service="imap",
                                   result="ok"), 1)
            self.assertEqual(value("postern_imapd_commands_total",
                                   service="imap", verb="SELECT"), 1)
            self.assertTrue(wait_for(lambda: value(
                "postern_logins_total", service="pop3", result="ok") == 1,
                timeout=5))
            self.assertEqual(value("postern_pop3d_commands_total",
                                   service="pop3", verb="STAT"), 1)
        finally:
            inst.cleanup()


if __name__ == "__main__":
    unittest.main()
