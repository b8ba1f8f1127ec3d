"""Submission (issue 7, part 3): AUTH PLAIN and LOGIN through authd on a
submission service, STARTTLS on 587-style and implicit TLS on 465-style
ports, AUTH refused before TLS where cleartext is not allowed, MAIL
without AUTH refused, a sender that is not the user refused, mail to
local and remote domains accepted for an authenticated user, and the
Authentication-Results the delivered copy carries."""
import base64
import smtplib
import unittest

from harness import MailInstance, client_tls, free_port

ALICE = "alice@example.test"
BOB = "bob@example.test"
PW = "alice's password"


class SubmissionTest(unittest.TestCase):
    conf = ""

    def setUp(self):
        self.inst = MailInstance(extra_conf="auth_failure_delay_max = 0s\n"
                                 + self.conf)
        self.sub = free_port()
        self.subs = free_port()
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
        self.inst.add_user(ALICE, password=PW)
        self.inst.add_user(BOB)
        # Alice's own alias, and a list she is on with Bob.
        self.inst.cmd("alias", "add", "sales@example.test", ALICE)
        self.inst.cmd("alias", "add", "team@example.test", ALICE, BOB)
        self.inst.cmd("alias", "add", "bobs@example.test", BOB)
        self.inst.start()

    def client(self, tls=True):
        s = smtplib.SMTP("127.0.0.1", self.sub, timeout=30)
        self.addCleanup(s.close)
        s.ehlo("laptop.example")
        if tls:
            s.starttls(context=client_tls())
            s.ehlo("laptop.example")
        return s


class AuthTest(SubmissionTest):
    def test_plain_and_login_then_send(self):
        s = self.client()
        self.assertIn("PLAIN", s.esmtp_features["auth"].upper())
        self.assertEqual(s.login(ALICE, PW)[0], 235)
        s.sendmail(ALICE, [BOB], b"From: Alice <alice@example.test>\r\n"
                   b"Subject: via submission\r\n\r\nhi\r\n")
        msg = self.inst.wait_message(BOB, b"Subject: via submission")
        self.assertIn(b"Authentication-Results: mail.example.test;\r\n"
                      b"\tauth=pass smtp.auth=alice@example.test\r\n", msg)
        # LOGIN, step by step.
        s = self.client()
        s.user, s.password = ALICE, PW
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        self.assertEqual(code, 235)
        self.assertTrue(self.inst.wait_log(
            r"authenticated: user=alice@example\.test"))
        # A password check only: authd opened no key session in cryptd.
        self.assertTrue(self.inst.wait_log(
            r"login: user=<alice@example\.test> rip=127\.0\.0\.1 "
            r"service=submission \(password only\)"))
        self.assertNotIn("session of alice@example.test started",
                         self.inst.log())

    def test_wrong_password_and_cancel(self):
        s = self.client()
        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
            s.login(ALICE, "wrong")
        self.assertEqual(e.exception.smtp_code, 535)
        code, text = s.docmd("AUTH", "PLAIN")
        self.assertEqual(code, 334)
        self.assertEqual(s.docmd("*"), (501, b"5.7.0 Authentication aborted"))
        self.assertEqual(s.docmd("AUTH", "CRAM-MD5")[0], 504)

    def test_mail_needs_auth_and_the_users_own_address(self):
        s = self.client()
        self.assertEqual(s.mail(ALICE)[0], 530)
        s.login(ALICE, PW)
        code, text = s.mail(BOB)
        self.assertEqual(code, 553)
        self.assertIn(b"5.7.1 <bob@example.test>: Sender address not owned "
                      b"by user alice@example.test", text)
        self.assertEqual(s.mail("<>")[0], 553)
        self.assertEqual(s.mail(ALICE.upper())[0], 250)
        # Relaying is what submission is for.
        self.assertEqual(s.rcpt("someone@far.away.example")[0], 250)
        self.assertEqual(s.rcpt(BOB)[0], 250)

    def test_from_header_must_be_the_user(self):
        s = self.client()
        s.login(ALICE, PW)
        bad = [
            b"Subject: no from\r\n\r\nx\r\n",
            b"From: Bob <bob@example.test>\r\nSubject: x\r\n\r\nx\r\n",
            b"From: alice@example.test\r\nFrom: bob@example.test\r\n\r\nx\r\n",
            b"From: alice@example.test, bob@example.test\r\n\r\nx\r\n",
            b"From: \"alice@example.test\" <bob@example.test>\r\n\r\nx\r\n",
        ]
        for msg in bad:
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail(ALICE, [BOB], msg)
            self.assertEqual(e.exception.smtp_code, 553, msg)
            self.assertIn(b"5.7.1 Error: the From: header must be "
                          b"<alice@example.test>", e.exception.smtp_error)
        # Folded, with a comment and another case: still Alice.
        s.sendmail(ALICE, [BOB], b"From: \"Alice, the one\"\r\n"
                   b" <ALICE@Example.test> (home)\r\nSubject: fine\r\n"
                   b"\r\nx\r\n")
        self.assertIsNotNone(self.inst.wait_message(BOB, b"Subject: fine"))
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 1)
        self.assertTrue(self.inst.wait_log(
            r"reject: message from \[127\.0\.0\.1\]: From: header not "
            r"owned by user=alice@example\.test"))

    def test_aliases_of_the_user_may_send(self):
        s = self.client()
        s.login(ALICE, PW)
        for alias in ("sales@example.test", "TEAM@example.test"):
            s.sendmail(alias, [BOB], (f"From: <{alias}>\r\nSubject: as "
                                      f"{alias.lower()}\r\n\r\nx\r\n"
                                      ).encode())
        self.assertIsNotNone(self.inst.wait_message(
            BOB, b"Subject: as sales@example.test"))
        self.assertIsNotNone(self.inst.wait_message(
            BOB, b"Subject: as team@example.test"))
        # Bob's alias is not Alice's, as envelope or as header.
        code, text = s.mail("bobs@example.test")
        self.assertEqual(code, 553)
        s.rset()
        with self.assertRaises(smtplib.SMTPDataError) as e:
            s.sendmail("sales@example.test", [BOB],
                       b"From: <bobs@example.test>\r\n\r\nx\r\n")
        self.assertEqual(e.exception.smtp_code, 553)

    def test_loopback_may_auth_without_tls(self):
        # smtpd_cleartext_login = loopback, the default.
        s = self.client(tls=False)
        self.assertIn("auth", s.esmtp_features)
        self.assertEqual(s.login(ALICE, PW)[0], 235)

    def test_implicit_tls_465(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.subs, timeout=30,
                             context=client_tls())
        self.addCleanup(s.close)
        s.ehlo("laptop.example")
        self.assertEqual(s.login(ALICE, PW)[0], 235)
        s.sendmail(ALICE, [BOB], b"From: alice@example.test\r\n"
                   b"Subject: over 465\r\n\r\nhi\r\n")
        self.assertIsNotNone(self.inst.wait_message(BOB, b"over 465"))


class NoCleartextTest(SubmissionTest):
    conf = "smtpd_cleartext_login = no\n"

    def test_auth_needs_tls(self):
        s = self.client(tls=False)
        self.assertNotIn("auth", s.esmtp_features)
        tok = base64.b64encode(f"\0{ALICE}\0{PW}".encode()).decode()
        self.assertEqual(s.docmd("AUTH", "PLAIN " + tok)[0], 538)
        s.starttls(context=client_tls())
        s.ehlo("laptop.example")
        self.assertIn("auth", s.esmtp_features)
        self.assertEqual(s.docmd("AUTH", "PLAIN " + tok)[0], 235)


class PlainSmtpTest(unittest.TestCase):
    def test_no_auth_on_port_25(self):
        inst = MailInstance()
        self.addCleanup(lambda: self.assertEqual(inst.cleanup(), []))
        inst.start()
        with smtplib.SMTP("127.0.0.1", inst.smtp_port) as s:
            s.ehlo("x.example")
            self.assertNotIn("auth", s.esmtp_features)
            self.assertEqual(s.docmd("AUTH", "PLAIN")[0], 502)


if __name__ == "__main__":
    unittest.main()
