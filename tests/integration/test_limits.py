"""Limits an operator can see (issue 9, part 4): outbound rate limits
per logged-in sender and per recipient domain, shared by every smtpd
process of every submission service; a limit reached is refused with 450
4.7.1, logged by master once per limit_log_interval with the setting's
name and a hint, and counted in `postern status`."""
import re
import smtplib
import time
import unittest

from harness import MailInstance, client_tls, free_port, postern

ALICE = "alice@example.test"
BOB = "bob@example.test"


class OutboundBase(unittest.TestCase):
    conf = ""

    def setUp(self):
        self.inst = MailInstance(extra_conf="auth_failure_delay_max = 0s\n"
                                 + self.conf)
        self.sub, self.subs = free_port(), free_port()
        self.inst.append(
            "master.conf",
            f"submission inet 127.0.0.1:{self.sub} - - - smtpd "
            "-o smtpd_submission=yes\n"
            f"submissions inet 127.0.0.1:{self.subs} - - - smtpd "
            "-o smtpd_submission=yes -o smtpd_tls_wrapper=yes\n"
            "authd unix authd - - - authd "
            "-o allowed_clients=submission,submissions\n"
            "cryptd unix cryptd - - - cryptd -o allowed_clients=authd\n")
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.add_user(ALICE)
        self.inst.add_user(BOB)
        self.inst.start()

    def session(self, user, wrapper=False):
        """A logged-in submission session with MAIL FROM given."""
        if wrapper:
            s = smtplib.SMTP_SSL("127.0.0.1", self.subs, timeout=30,
                                 context=client_tls())
        else:
            s = smtplib.SMTP("127.0.0.1", self.sub, timeout=30)
        self.addCleanup(s.close)
        s.ehlo("laptop.example")
        if not wrapper:
            s.starttls(context=client_tls())
            s.ehlo("laptop.example")
        s.login(user, self.inst.PASSWORD)
        self.assertEqual(s.mail(user)[0], 250)
        return s

    def status_limits(self, service):
        r = postern(self.inst.dir, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        line = [l for l in r.stdout.splitlines()
                if l.split()[:1] == [service]]
        self.assertEqual(len(line), 1, r.stdout)
        return line[0]


class SenderRateTest(OutboundBase):
    conf = "outbound_sender_rate_limit = 3\n"

    def test_sender_limit_shared_and_visible(self):
        s = self.session(ALICE)
        for i in range(3):
            self.assertEqual(s.rcpt(f"r{i}@far.example")[0], 250)
        code, text = s.rcpt("r3@far.example")
        self.assertEqual(code, 450)
        self.assertRegex(text.decode(), r"^4\.7\.1 <r3@far\.example>: "
                         r"Recipient address rejected: too many "
                         r"recipients from alice@example\.test; try "
                         r"again in \d+ seconds")
        # Local recipients do not count and still pass.
        self.assertEqual(s.rcpt(BOB)[0], 250)
        # Another process of another service sees the same count; the
        # user name's case does not open a second allowance.
        s2 = self.session(ALICE.upper(), wrapper=True)
        self.assertEqual(s2.rcpt("r4@other.example")[0], 450)
        # Bob has his own allowance.
        s3 = self.session(BOB)
        self.assertEqual(s3.rcpt("r0@far.example")[0], 250)
        self.assertTrue(self.inst.wait_log(
            r"service submission: outbound_sender_rate_limit reached: "
            r"recipients from alice@example\.test: 3 in 3600s \(limit 3\);"
            r".*Hint: raise outbound_sender_rate_limit in postern\.conf"))
        self.assertTrue(self.inst.wait_log(
            r"reject: RCPT from \[127\.0\.0\.1\]: user=alice@example\.test "
            r"<r3@far\.example>: outbound_sender_rate_limit reached"))
        self.assertRegex(self.status_limits("submission"),
                         r"outbound_sender_rate_limit=1\b")
        self.assertRegex(self.status_limits("submissions"),
                         r"outbound_sender_rate_limit=1\b")
        # ... and in the metrics, by setting.
        r = postern(self.inst.dir, "status", "--metrics")
        self.assertIn('postern_master_limit_hits_total{service="submission",'
                      'setting="outbound_sender_rate_limit"} 1\n', r.stdout)
        # A refused recipient is not in the transaction: mail to the
        # accepted ones goes on (into the queue for far.example).
        self.assertEqual(s.data(b"From: alice@example.test\r\n"
                                b"Subject: t\r\n\r\nhi\r\n")[0], 250)


class DomainRateTest(OutboundBase):
    conf = ("outbound_domain_rate_limit = 2\n"
            "limit_log_interval = 1s\n")

    def test_domain_limit_all_users_and_log_interval(self):
        a, b = self.session(ALICE), self.session(BOB)
        self.assertEqual(a.rcpt("x@busy.example")[0], 250)
        self.assertEqual(b.rcpt("y@BUSY.example")[0], 250)
        self.assertEqual(b.rcpt("z@busy.example")[0], 450)
        self.assertEqual(a.rcpt("w@busy.example")[0], 450)
        self.assertEqual(a.rcpt("v@calm.example")[0], 250)
        pattern = (r"service submission: outbound_domain_rate_limit "
                   r"reached: recipients to busy\.example: 2 in 3600s")
        self.assertTrue(self.inst.wait_log(pattern))
        # The second hit within the interval was counted, not logged.
        self.assertEqual(len(re.findall(pattern, self.inst.log())), 1)
        self.assertRegex(self.status_limits("submission"),
                         r"outbound_domain_rate_limit=2\b")
        # After the interval the next hit is logged with what was held.
        time.sleep(1.2)
        self.assertEqual(a.rcpt("u@busy.example")[0], 450)
        self.assertTrue(self.inst.wait_log(
            pattern + r".*\(and 1 more times since the last report; 3 in "
            r"all\)"))


class NoLimitTest(OutboundBase):
    conf = ("outbound_sender_rate_limit = 0\n"
            "outbound_domain_rate_limit = 0\n")

    def test_zero_means_no_limit(self):
        s = self.session(ALICE)
        for i in range(30):
            self.assertEqual(s.rcpt(f"r{i}@far.example")[0], 250)
        self.assertNotIn("rate_limit", self.inst.log())


if __name__ == "__main__":
    unittest.main()
