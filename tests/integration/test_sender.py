"""Sender authentication in smtpd (issue 7): SPF on MAIL FROM against a
real DNS server (dnsmasq on 127.0.0.1) over dns_resolvers, the result in
the delivered message's Authentication-Results, the refusal and deferral
settings, and XCLIENT, which lets the tests present a client address
outside 127.0.0.0/8 (libspf2 passes every loopback client)."""
import re
import smtplib
import unittest

from harness import DnsServer, MailInstance, auth_results

BOB = "bob@example.test"
CLIENT = "192.0.2.7"            # allowed by pass.test
STRANGER = "192.0.2.99"         # allowed by nobody

RECORDS = [
    ("txt", "pass.test", "v=spf1 ip4:192.0.2.7 -all"),
    ("txt", "soft.test", "v=spf1 ip4:192.0.2.7 ~all"),
    ("txt", "neutral.test", "v=spf1 ?all"),
    ("txt", "broken.test", "v=spf1 ip4:192.0.2.7 bogus:x -all"),
    ("txt", "helo.test", "v=spf1 a -all"),
    ("a", "helo.test", CLIENT),
    ("a", "nospf.test", "192.0.2.1"),
]


class SpfTest(unittest.TestCase):
    extra = ""

    def setUp(self):
        self.dns = DnsServer(RECORDS)
        self.addCleanup(self.dns.stop)
        self.inst = MailInstance(
            extra_conf=f"dns_resolvers = {self.dns.resolvers}\n"
            "smtpd_xclient_networks = 127.0.0.0/8\n"
            # SPF's own verdicts; scoring (test_spam) would move the
            # failing ones to Junk.
            "spam_filter = no\n" + self.extra)
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.add_user(BOB)
        self.inst.start()

    def send(self, sender, addr=CLIENT, helo="client.example", marker=""):
        """One message through XCLIENT; the SMTP reply to MAIL FROM, and
        the Authentication-Results of the delivered copy (or None)."""
        marker = marker or f"m-{sender}-{addr}"
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            self.assertIn("xclient", s.esmtp_features)
            code, _ = s.docmd("XCLIENT", f"ADDR={addr} HELO={helo}")
            self.assertEqual(code, 220)
            s.ehlo(helo)
            code, text = s.mail(sender)
            if code != 250:
                return code, text.decode(), None
            self.assertEqual(s.rcpt(BOB)[0], 250)
            s.data(f"Subject: {marker}\r\n\r\nbody\r\n".encode())
        msg = self.inst.wait_message(BOB, marker.encode())
        self.assertIsNotNone(msg)
        (ident, methods), = auth_results(msg)[:1]
        received = re.search(rb"Received: from \S+ \(\[([^\]]*)\]\)", msg)
        self.assertEqual(received.group(1).decode(), addr)
        return code, "", f"{ident}; spf={methods['spf']}"

    def test_every_spf_result(self):
        want = [
            ("a@pass.test", CLIENT, "spf=pass smtp.mailfrom=a@pass.test"),
            ("a@pass.test", STRANGER, "spf=fail smtp.mailfrom=a@pass.test"),
            ("a@soft.test", STRANGER,
             "spf=softfail smtp.mailfrom=a@soft.test"),
            ("a@neutral.test", CLIENT,
             "spf=neutral smtp.mailfrom=a@neutral.test"),
            ("a@nospf.test", CLIENT, "spf=none smtp.mailfrom=a@nospf.test"),
            ("a@missing.test", CLIENT,
             "spf=none smtp.mailfrom=a@missing.test"),
            ("a@broken.test", CLIENT,
             "spf=permerror smtp.mailfrom=a@broken.test"),
            # Outside .test the DNS server refuses: no answer is a
            # temperror, never a pass.
            ("a@elsewhere.example", CLIENT,
             "spf=temperror smtp.mailfrom=a@elsewhere.example"),
        ]
        for sender, addr, result in want:
            code, _, ar = self.send(sender, addr)
            self.assertEqual(code, 250, sender)
            self.assertEqual(ar, "mail.example.test; " + result, sender)
        self.assertTrue(self.inst.wait_log(
            r"\[192\.0\.2\.99\]: spf=fail smtp\.mailfrom=a@pass\.test"))

    def test_null_sender_checks_helo(self):
        _, _, ar = self.send("<>", CLIENT, "helo.test", "bounce-1")
        self.assertEqual(ar, "mail.example.test; spf=pass smtp.helo=helo.test")
        _, _, ar = self.send("<>", STRANGER, "helo.test", "bounce-2")
        self.assertEqual(ar, "mail.example.test; spf=fail smtp.helo=helo.test")


    def test_helo_name_checked_on_its_own(self):
        # MAIL FROM is neutral; helo.test allows only CLIENT.  The HELO
        # fail is logged (and scored); Authentication-Results and DMARC
        # speak of MAIL FROM.
        code, _, ar = self.send("a@neutral.test", STRANGER, "helo.test",
                                "helo-own-1")
        self.assertEqual(code, 250)
        self.assertEqual(ar, "mail.example.test; "
                         "spf=neutral smtp.mailfrom=a@neutral.test")
        self.assertTrue(self.inst.wait_log(
            r"\[192\.0\.2\.99\]: spf=fail smtp\.helo=helo\.test "
            r"\(HELO name\)"))
        # Once per name a session gives, not per transaction.
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            s.docmd("XCLIENT", f"ADDR={CLIENT} HELO=helo.test")
            s.ehlo("helo.test")
            for i in range(3):
                s.sendmail("a@neutral.test", [BOB],
                           f"Subject: helo-once-{i}\r\n\r\nx\r\n".encode())
        self.assertIsNotNone(self.inst.wait_message(BOB, b"helo-once-2"))
        self.assertEqual(len(re.findall(
            r"\[192\.0\.2\.7\]: spf=pass smtp\.helo=helo\.test "
            r"\(HELO name\)", self.inst.log())), 1)

    def test_forged_authentication_results_removed(self):
        forged = ("Authentication-Results: mail.example.test;\r\n"
                  "\tspf=pass smtp.mailfrom=ceo@pass.test\r\n"
                  "Authentication-Results: other.example; dkim=pass\r\n"
                  "authentication-results: MAIL.EXAMPLE.TEST; dmarc=pass\r\n")
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            s.docmd("XCLIENT", f"ADDR={STRANGER} HELO=client.example")
            s.ehlo("client.example")
            s.sendmail("ceo@pass.test", [BOB], (
                forged + "Subject: forged\r\n\r\nAuthentication-Results: "
                "mail.example.test; body text stays\r\n").encode())
        msg = self.inst.wait_message(BOB, b"Subject: forged")
        head = msg.split(b"\r\n\r\n", 1)[0]
        self.assertEqual(head.count(b"Authentication-Results: "
                                    b"mail.example.test"), 1)
        self.assertIn(b"Authentication-Results: mail.example.test;\r\n"
                      b"\tspf=fail smtp.mailfrom=ceo@pass.test", head)
        self.assertNotIn(b"MAIL.EXAMPLE.TEST", head)
        self.assertIn(b"Authentication-Results: other.example; dkim=pass",
                      head)
        self.assertIn(b"body text stays", msg)
        self.assertTrue(self.inst.wait_log(
            r"removed 2 Authentication-Results fields claiming to be ours"))


class SpfPolicyTest(SpfTest):
    extra = "smtpd_spf_reject_fail = yes\nsmtpd_spf_defer_temperror = yes\n"

    def test_fail_refused_and_temperror_deferred(self):
        code, text, _ = self.send("a@pass.test", STRANGER)
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith("5.7.23 SPF: 192.0.2.99 is not "
                                        "allowed to send for a@pass.test"),
                        text)
        code, text, _ = self.send("a@elsewhere.example", CLIENT)
        self.assertEqual((code, text[:6]), (451, "4.7.24"))
        # Softfail and pass still go through.
        self.assertEqual(self.send("a@soft.test", STRANGER)[0], 250)
        self.assertEqual(self.send("a@pass.test", CLIENT)[0], 250)

    def test_every_spf_result(self):
        pass            # the base class's run expects no refusals

    def test_helo_name_checked_on_its_own(self):
        code, text, _ = self.send("a@neutral.test", STRANGER, "helo.test")
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith("5.7.23 SPF: 192.0.2.99 is not "
                                        "allowed to send for helo.test"),
                        text)
        self.assertTrue(self.inst.wait_log(
            r"reject: MAIL from \[192\.0\.2\.99\]: <helo\.test>: SPF "
            r"fail of the HELO name"))
        self.assertEqual(self.send("a@neutral.test", CLIENT,
                                   "helo.test")[0], 250)

    def test_null_sender_checks_helo(self):
        pass

    def test_forged_authentication_results_removed(self):
        pass


class XclientTest(unittest.TestCase):
    def test_refused_outside_the_networks(self):
        inst = MailInstance()
        self.addCleanup(lambda: self.assertEqual(inst.cleanup(), []))
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port) as s:
            s.ehlo("proxy.test")
            self.assertNotIn("xclient", s.esmtp_features)
            code, text = s.docmd("XCLIENT", f"ADDR={CLIENT}")
            self.assertEqual(code, 550)
            self.assertIn(b"5.7.0 Error: XCLIENT not allowed", text)


if __name__ == "__main__":
    unittest.main()
