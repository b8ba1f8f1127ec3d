"""Spam and phishing scoring (issue 8): smtpd's weighted rules at the
end of DATA, against a real DNS server (dnsmasq on 127.0.0.1) holding a
DNS block list, an allow list and a URI block list; local's verdict per
recipient (X-Spam-Score, X-Spam-Status, Junk).  The corpus is generated
here: ham, spam and phishing messages of our own text.  XCLIENT gives
client addresses outside 127.0.0.0/8, so that SPF and the DNS lists
apply.  What is checked: the reply at the end of DATA, the folder the
message lands in, and the fields in the stored (decrypted) message."""
import email
import os
import random
import shutil
import tempfile
import email.policy
import re
import smtplib
import time
import unittest

from harness import DnsServer, ImapInstance, MailInstance
from test_spam_train import generated

BOB = "bob@example.test"
GOOD = "192.0.2.7"      # SPF-allowed for friends.test, in the allow list
LISTED = "192.0.2.66"   # in the block list
LISTED6 = "2001:db8::66"    # in it too (RFC 5782 2.4: nibbles)
OTHER = "192.0.2.99"    # in no list, SPF-allowed by nobody

RECORDS = [
    ("txt", "friends.test", "v=spf1 ip4:192.0.2.7 -all"),
    ("txt", "strict.test", "v=spf1 -all"),
    ("a", "client.test", "192.0.2.7"),
    ("a", "66.2.0.192.dnsbl.test", "127.0.0.2"),
    ("a", "6.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
     ".dnsbl.test", "127.0.0.2"),
    ("a", "7.2.0.192.dnswl.test", "127.0.10.0"),
    # a list's own error answer is not a listing (RFC 5782 2.1)
    ("a", "99.2.0.192.dnsbl.test", "127.255.255.254"),
    ("a", "spammy.test.uribl.test", "127.0.0.2"),
]


def message(marker, from_hdr="Alice <alice@friends.test>", body=None,
            date=True, msgid=True, headers="", html=None):
    """One message of the corpus: a plain or HTML body, optional faults."""
    h = f"From: {from_hdr}\r\nTo: <{BOB}>\r\nSubject: {marker}\r\n"
    if date:
        h += "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
    if msgid:
        h += f"Message-ID: <{marker}@friends.test>\r\n"
    h += headers
    if html is not None:
        h += ("MIME-Version: 1.0\r\nContent-Type: text/html; "
              "charset=utf-8\r\n\r\n" + html + "\r\n")
    else:
        h += "\r\n" + (body or "Lunch on Friday? The usual place.\r\n")
    return h.encode()


def fields(msg):
    return email.message_from_bytes(msg, policy=email.policy.compat32)


def rules(msg):
    """The rules named in X-Spam-Status: {name: weight}."""
    status = fields(msg).get("X-Spam-Status", "")
    m = re.search(r"tests=(\S+)", status)
    if m is None or m.group(1) == "-":
        return {}
    return {k: float(v) for k, v in
            (t.split("=") for t in m.group(1).split(","))}


class SpamTest(unittest.TestCase):
    extra = ""

    instance = MailInstance

    def setUp(self):
        self.dns = DnsServer(RECORDS)
        self.addCleanup(self.dns.stop)
        self.inst = self.instance(
            extra_conf=f"dns_resolvers = {self.dns.resolvers}\n"
            "smtpd_xclient_networks = 127.0.0.0/8\n"
            "spam_dnsbl_zones = dnsbl.test\n"
            "spam_dnswl_zones = dnswl.test\n"
            "spam_uribl_zones = uribl.test\n" + self.extra)
        self.inst.set_conf("myhostname", "mx.example.test")
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.add_user(BOB)
        self.inst.start()

    def send(self, sender, data, addr=GOOD, helo="client.test"):
        """One message through XCLIENT: the reply to the end of DATA."""
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            code, _ = s.docmd("XCLIENT", f"ADDR={addr} HELO={helo}")
            self.assertEqual(code, 220)
            s.ehlo(helo)
            self.assertEqual(s.mail(sender)[0], 250)
            self.assertEqual(s.rcpt(BOB)[0], 250)
            code, text = s.data(data)
            return code, text.decode()

    def delivered(self, marker, folder=""):
        msg = self.inst.wait_message(BOB, marker.encode(), folder=folder)
        self.assertIsNotNone(msg, f"{marker} not in {folder or 'INBOX'}")
        return msg

    def score(self, msg):
        return float(fields(msg)["X-Spam-Score"])


class RulesTest(SpamTest):
    def test_ham_goes_to_the_inbox(self):
        code, _ = self.send("alice@friends.test", message("ham-1"))
        self.assertEqual(code, 250)
        msg = self.delivered("ham-1")
        f = fields(msg)
        # Allow-listed client, SPF pass: a negative score.
        self.assertEqual(rules(msg), {"DNSWL": -4.0})
        self.assertEqual(self.score(msg), -4.0)
        self.assertTrue(f["X-Spam-Status"].startswith("No, score=-4.00 "
                                                      "required=5.00"))
        self.assertIsNone(f["X-Phishing-Warning"])
        # Our fields come first in the stored message, Return-Path on top.
        self.assertLess(msg.index(b"X-Spam-Score:"), msg.index(b"From:"))
        self.inst.wait_log(r"local\[\d+\]: \w+: to=<bob@example.test>, "
                           r"spam: score=-4.00, junk=no")

    def test_block_list_and_faults_go_to_junk(self):
        code, _ = self.send("someone@strict.test",
                            message("spam-1", "<someone@strict.test>",
                                    date=False, msgid=False),
                            addr=LISTED, helo="nowhere.test")
        self.assertEqual(code, 250)
        msg = self.delivered("spam-1", folder="Junk")
        self.assertEqual(rules(msg), {
            "SPF_FAIL": 3.0, "NO_AUTH": 1.0, "DNSBL": 4.0, "NO_DATE": 1.0,
            "NO_MESSAGE_ID": 0.5, "HELO_NO_RESOLVE": 1.0})
        self.assertEqual(self.score(msg), 10.5)
        self.assertTrue(fields(msg)["X-Spam-Status"].startswith("Yes,"))
        self.assertEqual(self.inst.mailbox(BOB), [])
        self.inst.wait_log(r"smtpd\[\d+\]: \w+: spam: score=10.50, "
                           r"rules=SPF_FAIL=3,.*dnsbl=dnsbl.test")

    def test_helo_name_failing_spf_is_scored(self):
        # MAIL FROM passes; the HELO name's own record (-all) fails it.
        self.send("alice@friends.test", message("helo-1"),
                  helo="strict.test")
        msg = self.delivered("helo-1")
        got = rules(msg)
        self.assertEqual(got.get("SPF_HELO_FAIL"), 2.0, got)
        self.assertNotIn("SPF_FAIL", got)
        self.assertTrue(self.inst.wait_log(
            r"spf=fail smtp\.helo=strict\.test \(HELO name\)"))

    def test_ipv6_client_in_the_block_list(self):
        code, _ = self.send("someone@friends.test",
                            message("v6-1", "<someone@friends.test>"),
                            addr="IPV6:" + LISTED6)
        self.assertEqual(code, 250)
        msg = self.delivered("v6-1", folder="Junk")
        # Not friends.test's address either: SPF fails.
        self.assertEqual(rules(msg), {"SPF_FAIL": 3.0, "NO_AUTH": 1.0,
                                      "DNSBL": 4.0})
        self.assertTrue(self.inst.wait_log(
            r"smtpd\[\d+\]: \w+: spam: score=8\.00, .*dnsbl=dnsbl\.test"))

    def test_list_error_answers_are_not_listings(self):
        self.send("x@friends.test", message("err-1", "<x@friends.test>"),
                  addr=OTHER)
        msg = self.delivered("err-1")
        self.assertNotIn("DNSBL", rules(msg))
        # SPF fails (OTHER is not friends.test's), nothing vouches.
        self.assertEqual(rules(msg), {"SPF_FAIL": 3.0, "NO_AUTH": 1.0})

    def test_uri_block_list_in_a_base64_html_part(self):
        import base64
        html = base64.b64encode(
            b"<p>Cheap pills at <a href=\"http://www.spammy.test/buy\">"
            b"our shop</a></p>").decode()
        data = (f"From: <alice@friends.test>\r\nTo: <{BOB}>\r\n"
                "Subject: uri-1\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                "Message-ID: <uri-1@friends.test>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
                "--b\r\nContent-Type: text/plain\r\n\r\nCheap pills.\r\n"
                "--b\r\nContent-Type: text/html\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n{html}\r\n"
                "--b--\r\n").encode()
        self.send("alice@friends.test", data)
        msg = self.delivered("uri-1")
        self.assertEqual(rules(msg), {"DNSWL": -4.0, "URIBL": 4.0})
        self.inst.wait_log(r"uribl=www.spammy.test")

    def test_rule_score_at_reject_threshold_is_refused(self):
        data = message("rej-1", "<x@strict.test>", date=False, msgid=False,
                       body="Visit http://spammy.test/ now.\r\n")
        code, text = self.send("x@strict.test", data, addr=LISTED,
                               helo="mx.example.test")
        self.assertEqual(code, 550)
        self.assertIn("5.7.1", text)
        self.assertIn("spam", text)
        self.assertTrue(self.inst.queue_empty())
        self.assertEqual(self.inst.mailbox(BOB, "Junk"), [])
        self.assertEqual(self.inst.mailbox(BOB), [])
        self.inst.wait_log(r"reject: end of DATA from \[192.0.2.66\]: spam "
                           r"score 1\d.\d\d >= 12.00")

    def test_forged_spam_fields_are_removed(self):
        data = message("forged-1", headers="X-Spam-Status: No, score=-99\r\n"
                       "X-Spam-Score: -99\r\n"
                       "X-Phishing-Warning: none at all\r\n")
        self.send("alice@friends.test", data)
        msg = self.delivered("forged-1")
        f = fields(msg)
        self.assertEqual(f.get_all("X-Spam-Status"),
                         ["No, score=-4.00 required=5.00 tests=DNSWL=-4"])
        self.assertEqual(f.get_all("X-Spam-Score"), ["-4.00"])
        self.assertIsNone(f["X-Phishing-Warning"])

    def test_helo_that_claims_to_be_us(self):
        self.send("alice@friends.test", message("helo-1"),
                  helo="mx.example.test")
        msg = self.delivered("helo-1")
        self.assertIn("HELO_FORGED", rules(msg))


PAYPAL_HTML = ("<p>Dear customer, we noticed unusual sign-in activity. "
               "Please verify your account:</p>"
               "<a href=\"http://login.collect.test/pp\">"
               "https://www.paypal.com/signin</a>")
PAYPAL_FROM = "\"service@paypal.com\" <alerts@paypa1.test>"


class PhishingRejectTest(SpamTest):
    def test_blatant_phishing_is_refused(self):
        code, text = self.send("alerts@paypa1.test",
                               message("phish-0", PAYPAL_FROM,
                                       html=PAYPAL_HTML), addr=OTHER)
        self.assertEqual((code, text[:5]), (550, "5.7.1"))
        self.assertTrue(self.inst.queue_empty())


class PhishingTest(SpamTest):
    # Delivered, to see what the warning says.
    extra = "reject_threshold = 50\n"

    def test_paypal_lookalike_with_mismatched_link(self):
        data = message("phish-1", PAYPAL_FROM, html=PAYPAL_HTML)
        code, _ = self.send("alerts@paypa1.test", data, addr=OTHER)
        self.assertEqual(code, 250)
        msg = self.delivered("phish-1", folder="Junk")
        r = rules(msg)
        for name in ("PHISH_DISPLAY_ADDR", "PHISH_LOOKALIKE",
                     "PHISH_LINK_MISMATCH", "PHISH_CREDENTIALS",
                     "HTML_ONLY"):
            self.assertIn(name, r)
        warn = fields(msg)["X-Phishing-Warning"]
        self.assertIsNotNone(warn)
        warn = re.sub(r"\s+", " ", warn)
        self.assertIn("the sender's name shows service@paypal.com but the "
                      "mail is from alerts@paypa1.test", warn)
        self.assertIn("the sender's domain paypa1.test looks like "
                      "paypal.com", warn)
        self.assertIn("a link shows www.paypal.com but leads to "
                      "login.collect.test", warn)
        self.assertIn("verify your account", warn)

    def test_punycode_lookalike_of_our_own_domain(self):
        # "exаmple.test" with a Cyrillic a: xn--exmple-4nf.test
        dom = "ex\u0430mple.test".encode("idna").decode()
        self.assertEqual(dom, "xn--exmple-4nf.test")
        data = message("idn-1", f"IT desk <helpdesk@{dom}>",
                       body="Your mailbox is full. Click http://10.9.8.7/"
                       "fix to enter your password.\r\n")
        self.send(f"helpdesk@{dom}", data, addr=OTHER)
        msg = self.delivered("idn-1", folder="Junk")
        r = rules(msg)
        for name in ("PHISH_LOOKALIKE", "PHISH_IDN", "PHISH_IP_LINK",
                     "PHISH_CREDENTIALS"):
            self.assertIn(name, r)
        warn = re.sub(r"\s+", " ", fields(msg)["X-Phishing-Warning"])
        self.assertIn(f"{dom} looks like example.test", warn)
        self.assertIn("a link leads to the bare address 10.9.8.7", warn)

    def test_honest_newsletter_is_not_phishing(self):
        html = ("<p>News from friends.</p><a href=\"https://www.friends.test"
                "/news\">www.friends.test</a> <a href=\"https://cdn.friends"
                ".test/r.pdf\">report.pdf</a>")
        self.send("alice@friends.test", message("news-1", html=html))
        msg = self.delivered("news-1")
        self.assertIsNone(fields(msg)["X-Phishing-Warning"])
        self.assertEqual(rules(msg), {"DNSWL": -4.0, "HTML_ONLY": 0.5})


class SettingsTest(SpamTest):
    extra = ("spam_score_no_date = 7.25\njunk_threshold = 3\n"
             "reject_threshold = 20\nspam_score_dnswl = 0\n")

    def test_weights_and_thresholds_are_settings(self):
        self.send("alice@friends.test", message("set-1", date=False))
        msg = self.delivered("set-1", folder="Junk")
        # A weight of 0 turns a rule off: DNSWL is not even named.
        self.assertEqual(rules(msg), {"NO_DATE": 7.25})
        self.assertTrue(fields(msg)["X-Spam-Status"].startswith(
            "Yes, score=7.25 required=3.00"))


class GreylistTest(SpamTest):
    extra = "smtpd_greylist = yes\nsmtpd_greylist_delay = 2s\n"

    def rcpt(self, sender, rcpt=BOB, addr=OTHER, data=None):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            self.assertEqual(s.docmd("XCLIENT", f"ADDR={addr} "
                                     "HELO=client.test")[0], 220)
            s.ehlo("client.test")
            self.assertEqual(s.mail(sender)[0], 250)
            code, text = s.rcpt(rcpt)
            if code == 250 and data is not None:
                self.assertEqual(s.data(data)[0], 250)
            return code, text.decode()

    def test_first_attempt_deferred_retry_passes(self):
        code, text = self.rcpt("a@friends.test")
        self.assertEqual(code, 451)
        self.assertRegex(text, r"^4\.7\.1 <bob@example.test>: Recipient "
                         r"address rejected: Greylisted, try again in "
                         r"[12] seconds")
        # Too early: still deferred.
        self.assertEqual(self.rcpt("a@friends.test")[0], 451)
        # Another sender, or another network: triplets of their own.
        self.assertEqual(self.rcpt("b@friends.test")[0], 451)
        self.assertEqual(self.rcpt("a@friends.test", addr="198.51.100.1")[0],
                         451)
        time.sleep(2.2)
        # A neighbour in the same /24 retries: it passes, and delivers.
        code, _ = self.rcpt("a@friends.test", addr="192.0.2.98",
                            data=message("grey-1", "<a@friends.test>"))
        self.assertEqual(code, 250)
        self.delivered("grey-1")
        # Passed triplets pass at once from then on.
        self.assertEqual(self.rcpt("a@friends.test")[0], 250)
        self.inst.wait_log(r"smtpd\[\d+\]: greylist: RCPT from "
                           r"\[192.0.2.99\]: from=<a@friends.test> "
                           r"to=<bob@example.test>: deferred for [12]s")

    def test_exempt_networks_pass(self):
        # The default exempts loopback: a client without XCLIENT.
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("client.test")
            self.assertEqual(s.mail("a@friends.test")[0], 250)
            self.assertEqual(s.rcpt(BOB)[0], 250)


def corpus_message(spam, i, rnd, marker):
    """A generated message (test_spam_train's vocabulary) with a Date,
    so that only the words tell spam from ham, and a marker."""
    m = generated(spam, i, rnd).replace(
        "\r\n\r\n", f"\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
        f"X-Marker: {marker}\r\n\r\n", 1)
    return m.encode()


class BayesTest(SpamTest):
    """Training changes a later verdict: the site's database trained with
    postern spam train, then the user's, trained by moving mail into and
    out of Junk over IMAP, which then wins over the site's."""
    instance = ImapInstance
    # Without the allow list's -4, the words alone decide.
    extra = "bayes_min_spam = 5\nbayes_min_ham = 5\nspam_score_dnswl = 0\n"

    def deliver(self, spam, i, rnd, marker):
        code, _ = self.send("alice@friends.test",
                            corpus_message(spam, i, rnd, marker))
        self.assertEqual(code, 250)

    def test_site_training_then_user_training(self):
        rnd = random.Random(11)
        # Untrained: the words alone do not make junk.
        self.deliver(True, 100, rnd, "b-before")
        msg = self.delivered("b-before")
        self.assertNotIn("BAYES", rules(msg))
        # The site's database, from a corpus directory.
        d = tempfile.mkdtemp(prefix="postern-corpus-")
        self.addCleanup(shutil.rmtree, d, True)
        for kind in ("spam", "ham"):
            os.makedirs(os.path.join(d, kind))
            for i in range(10):
                with open(os.path.join(d, kind, f"{i}.eml"), "w") as f:
                    f.write(generated(kind == "spam", i, rnd))
        for kind in ("spam", "ham"):
            r = self.inst.cmd("spam", "train", f"--{kind}",
                              os.path.join(d, kind))
            self.assertEqual(r.returncode, 0, r.stderr)
        self.deliver(True, 101, rnd, "b-site-spam")
        self.deliver(False, 102, rnd, "b-site-ham")
        msg = self.delivered("b-site-spam", folder="Junk")
        self.assertGreater(rules(msg)["BAYES"], 4.5)
        self.assertIn("(site)", fields(msg)["X-Spam-Status"])
        msg = self.delivered("b-site-ham")
        self.assertLess(rules(msg)["BAYES"], -2.5)
        self.inst.wait_log(r"spam: score=[\d.]+, bayes=site, junk=yes")

        # Bob disagrees: he moves the ham-like messages into Junk, and the
        # spam-like ones out of it, until his own database can judge.
        c = self.inst.imap(BOB)
        for i in range(10):
            self.assertEqual(c.append("INBOX", None, None, corpus_message(
                False, 200 + i, rnd, f"imap-h{i}"))[0], "OK")
            self.assertEqual(c.append("Junk", None, None, corpus_message(
                True, 300 + i, rnd, f"imap-s{i}"))[0], "OK")
        c.select("INBOX")
        typ, data = c.search(None, "HEADER", "X-Marker", "imap-h")
        self.assertEqual(c._simple_command(
            "MOVE", data[0].decode().replace(" ", ","), "Junk")[0], "OK")
        c.select("Junk")
        typ, data = c.search(None, "HEADER", "X-Marker", "imap-s")
        self.assertEqual(c._simple_command(
            "MOVE", data[0].decode().replace(" ", ","), "INBOX")[0], "OK")
        c.logout()
        # Now his verdicts are his own: ham-like words are his junk.
        self.deliver(False, 103, rnd, "b-user-ham")
        msg = self.delivered("b-user-ham", folder="Junk")
        self.assertIn("(user)", fields(msg)["X-Spam-Status"])
        self.assertGreater(rules(msg)["BAYES"], 4.5)
        self.deliver(True, 104, rnd, "b-user-spam")
        msg = self.delivered("b-user-spam")
        self.assertLess(rules(msg)["BAYES"], -2.5)


class FilterOffTest(SpamTest):
    extra = "spam_filter = no\n"

    def test_no_scoring(self):
        self.send("x@strict.test", message("off-1", date=False),
                  addr=LISTED)
        msg = self.delivered("off-1")
        self.assertIsNone(fields(msg)["X-Spam-Status"])


if __name__ == "__main__":
    unittest.main()
