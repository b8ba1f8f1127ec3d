"""DKIM verification and DMARC in smtpd (issue 7), against a real DNS
server (dnsmasq on 127.0.0.1) holding the test domains' keys, SPF and
DMARC records.  Messages are signed here by an independent signer,
dkimpy (Debian's python3-dkim), with RSA-SHA256 and Ed25519-SHA256
keys made for the run; XCLIENT presents client addresses outside
127.0.0.0/8 so that SPF can pass or fail.  What is checked is the
delivered message's Authentication-Results, where it was delivered
(inbox or Junk), and the SMTP reply at the end of DATA."""
import base64
import os
import smtplib
import tempfile
import unittest

import dkim
import nacl.signing

from harness import DnsServer, MailInstance, auth_results, rsa_key

BOB = "bob@example.test"
CLIENT = "192.0.2.7"            # SPF-allowed for signed.test and others
STRANGER = "192.0.2.99"         # allowed by nobody


def ed25519_key():
    """A fresh Ed25519 key as dkimpy wants it (base64 seed) and the
    public half for the record (RFC 8463 3)."""
    sk = nacl.signing.SigningKey.generate()
    return (base64.b64encode(bytes(sk)),
            base64.b64encode(bytes(sk.verify_key)).decode())


RSA_PRIV, RSA_PUB = rsa_key()
ED_PRIV, ED_PUB = ed25519_key()

RECORDS = [
    # signed.test: both keys, SPF for CLIENT, DMARC reject.
    ("txt", "rsa1._domainkey.signed.test", f"v=DKIM1; k=rsa; p={RSA_PUB}"),
    ("txt", "ed1._domainkey.signed.test",
     f"v=DKIM1; k=ed25519; p={ED_PUB}"),
    ("txt", "signed.test", "v=spf1 ip4:192.0.2.7 -all"),
    ("txt", "_dmarc.signed.test", "v=DMARC1; p=reject"),
    # A subdomain's signature aligns with signed.test only when relaxed.
    ("txt", "ed1._domainkey.sub.signed.test",
     f"v=DKIM1; k=ed25519; p={ED_PUB}"),
    ("txt", "ed1._domainkey.sub.strict.test",
     f"v=DKIM1; k=ed25519; p={ED_PUB}"),
    ("txt", "_dmarc.strict.test", "v=DMARC1; p=reject; adkim=s"),
    # An unrelated signer.
    ("txt", "ed1._domainkey.other.test", f"v=DKIM1; k=ed25519; p={ED_PUB}"),
    ("txt", "_dmarc.quarantine.test", "v=DMARC1; p=quarantine"),
    ("txt", "_dmarc.monitor.test", "v=DMARC1; p=none"),
    ("txt", "_dmarc.broken.test", "v=DMARC1; p=bogus"),
    # pct=0: no failing message is sampled, each gets the milder policy.
    ("txt", "_dmarc.sample-r.test", "v=DMARC1; p=reject; pct=0"),
    ("txt", "_dmarc.sample-q.test", "v=DMARC1; p=quarantine; pct=0"),
    ("txt", "_dmarc.sample-all.test", "v=DMARC1; p=quarantine; pct=100"),
    ("a", "nodmarc.test", "192.0.2.1"),
]


def sign(msg, domain, selector, algorithm="ed25519"):
    """msg signed by dkimpy (relaxed/relaxed); the signature in front."""
    key = ED_PRIV if algorithm == "ed25519" else RSA_PRIV
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=(b"ed25519-sha256"
                                         if algorithm == "ed25519"
                                         else b"rsa-sha256"),
                    include_headers=[b"from", b"to", b"subject"])
    return sig.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n") + msg


def message(from_addr, marker, body="Hello.\r\n"):
    return (f"From: <{from_addr}>\r\nTo: <{BOB}>\r\nSubject: {marker}\r\n"
            f"\r\n{body}").encode()


class DkimDmarcTest(unittest.TestCase):
    extra = ""

    def setUp(self):
        self.dns = DnsServer(RECORDS)
        self.addCleanup(self.dns.stop)
        fd, self.psl = tempfile.mkstemp(prefix="postern-psl-")
        with os.fdopen(fd, "w") as f:
            f.write("// the test suffixes\ntest\n")
        self.addCleanup(os.unlink, self.psl)
        self.inst = MailInstance(
            extra_conf=f"dns_resolvers = {self.dns.resolvers}\n"
            "smtpd_xclient_networks = 127.0.0.0/8\n"
            f"dmarc_public_suffix_list = {self.psl}\n"
            # DMARC's own verdicts; scoring (test_spam) would move the
            # unauthenticated ones to Junk.
            "spam_filter = no\n" + self.extra)
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.add_user(BOB)
        self.inst.start()

    def send(self, sender, data, addr=CLIENT):
        """One message through XCLIENT: the reply to the end of DATA."""
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("proxy.test")
            code, _ = s.docmd("XCLIENT", f"ADDR={addr} HELO=client.test")
            self.assertEqual(code, 220)
            s.ehlo("client.test")
            self.assertEqual(s.mail(sender)[0], 250)
            self.assertEqual(s.rcpt(BOB)[0], 250)
            code, text = s.data(data)
            return code, text.decode()

    def results(self, marker, folder=""):
        """The methods of our one Authentication-Results field."""
        msg = self.inst.wait_message(BOB, marker.encode(), folder=folder)
        self.assertIsNotNone(msg, f"{marker} not in {folder or 'INBOX'}")
        fields = auth_results(msg)
        ours = [m for ident, m in fields if ident == "mail.example.test"]
        self.assertEqual(len(ours), 1, fields)
        # Ours stands above our Received: field.
        head = msg.split(b"\r\n\r\n", 1)[0]
        self.assertLess(head.find(b"Authentication-Results: mail.example"),
                        head.find(b"Received: from client.test"))
        return ours[0]


class VerifyTest(DkimDmarcTest):
    def test_rsa_and_ed25519_signatures_pass_and_dmarc_passes(self):
        for alg, sel in (("rsa", "rsa1"), ("ed25519", "ed1")):
            marker = f"good-{alg}"
            data = sign(message("a@signed.test", marker), "signed.test",
                        sel, alg)
            code, _ = self.send("a@signed.test", data)
            self.assertEqual(code, 250)
            r = self.results(marker)
            self.assertEqual(r["spf"], "pass smtp.mailfrom=a@signed.test")
            self.assertRegex(r["dkim"], rf"^pass header\.d=signed\.test "
                             rf"header\.s={sel} header\.a={alg}-sha256 "
                             r"header\.b=\S{8}")
            self.assertEqual(r["dmarc"],
                             "pass (p=reject dis=none) "
                             "header.from=signed.test")

    def test_dkim_alone_passes_dmarc_when_spf_fails(self):
        # The signature survives forwarding; SPF from a stranger fails.
        data = sign(message("a@signed.test", "forwarded"), "signed.test",
                    "ed1")
        self.assertEqual(self.send("a@signed.test", data, STRANGER)[0], 250)
        r = self.results("forwarded")
        self.assertTrue(r["spf"].startswith("fail"))
        self.assertTrue(r["dkim"].startswith("pass"))
        self.assertTrue(r["dmarc"].startswith("pass"))

    def test_altered_body_fails(self):
        data = sign(message("a@signed.test", "altered"), "signed.test",
                    "ed1")
        data = data.replace(b"Hello.", b"Hellx.")
        # SPF passes, so DMARC still passes; the signature does not.
        self.assertEqual(self.send("a@signed.test", data)[0], 250)
        r = self.results("altered")
        self.assertRegex(r["dkim"],
                         r"^fail \(body hash mismatch\) header\.d=signed")
        self.assertTrue(r["dmarc"].startswith("pass"))

    def test_altered_header_fails(self):
        data = sign(message("a@signed.test", "hdr"), "signed.test", "rsa1",
                    "rsa")
        data = data.replace(b"Subject: hdr", b"Subject: hdr changed")
        self.assertEqual(self.send("a@signed.test", data)[0], 250)
        self.assertRegex(self.results("hdr changed")["dkim"],
                         r"^fail \(signature mismatch\)")

    def test_missing_key_is_permerror(self):
        data = sign(message("a@nodmarc.test", "nokey"), "nodmarc.test",
                    "gone")
        self.assertEqual(self.send("a@nodmarc.test", data)[0], 250)
        r = self.results("nokey")
        self.assertRegex(r["dkim"], r"^permerror \(.*\) header\.d=nodmarc")
        self.assertEqual(r["dmarc"], "none header.from=nodmarc.test")

    def test_unsigned_message(self):
        self.assertEqual(self.send("a@nodmarc.test",
                                   message("a@nodmarc.test", "plain"))[0],
                         250)
        r = self.results("plain")
        self.assertEqual(r["dkim"], "none")
        self.assertEqual(r["dmarc"], "none header.from=nodmarc.test")

    def test_dmarc_reject_refuses_at_end_of_data(self):
        code, text = self.send("a@signed.test",
                               message("a@signed.test", "spoofed"),
                               STRANGER)
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith("5.7.1 "), text)
        self.assertIn("DMARC policy of signed.test", text)
        self.assertTrue(self.inst.wait_log(
            r"reject: DATA from \[192\.0\.2\.99\]: DMARC policy of "
            r"signed\.test is reject"))
        # Nothing queued or delivered; the session goes on.
        self.assertEqual(self.send("a@nodmarc.test",
                                   message("a@nodmarc.test", "after"))[0],
                         250)
        self.results("after")
        self.assertFalse(any(b"spoofed" in m
                             for m in self.inst.mailbox(BOB)))

    def test_unaligned_signature_does_not_pass(self):
        # Signed by other.test, From: signed.test, SPF fails: reject.
        data = sign(message("a@signed.test", "unaligned"), "other.test",
                    "ed1")
        code, _ = self.send("a@signed.test", data, STRANGER)
        self.assertEqual(code, 550)

    def test_relaxed_and_strict_alignment(self):
        relaxed = sign(message("a@signed.test", "relaxed"),
                       "sub.signed.test", "ed1")
        self.assertEqual(self.send("a@signed.test", relaxed, STRANGER)[0],
                         250)
        self.assertTrue(self.results("relaxed")["dmarc"].startswith("pass"))
        strict = sign(message("a@strict.test", "strict"), "sub.strict.test",
                      "ed1")
        code, _ = self.send("a@strict.test", strict, STRANGER)
        self.assertEqual(code, 550)

    def test_quarantine_goes_to_junk(self):
        self.assertEqual(self.send("a@quarantine.test",
                                   message("a@quarantine.test", "junky"),
                                   STRANGER)[0], 250)
        r = self.results("junky", folder="Junk")
        self.assertEqual(r["dmarc"], "fail (p=quarantine dis=quarantine) "
                         "header.from=quarantine.test")
        self.assertFalse(any(b"junky" in m for m in self.inst.mailbox(BOB)))

    def test_pct_samples_the_policy(self):
        # Outside the sample: reject becomes quarantine (Junk), quarantine
        # becomes none (INBOX); pct=100 applies the policy.
        for domain, marker, dis, folder in (
                ("sample-r.test", "pct-r", "p=reject dis=quarantine", "Junk"),
                ("sample-q.test", "pct-q", "p=quarantine dis=none", ""),
                ("sample-all.test", "pct-all",
                 "p=quarantine dis=quarantine", "Junk")):
            self.assertEqual(self.send(f"a@{domain}",
                                       message(f"a@{domain}", marker),
                                       STRANGER)[0], 250, domain)
            self.assertEqual(self.results(marker, folder=folder)["dmarc"],
                             f"fail ({dis}) header.from={domain}")

    def test_monitoring_policy_delivers(self):
        self.assertEqual(self.send("a@monitor.test",
                                   message("a@monitor.test", "watched"),
                                   STRANGER)[0], 250)
        self.assertEqual(self.results("watched")["dmarc"],
                         "fail (p=none dis=none) header.from=monitor.test")

    def test_bad_record_is_permerror_and_dns_failure_temperror(self):
        self.assertEqual(self.send("a@broken.test",
                                   message("a@broken.test", "badrec"))[0],
                         250)
        self.assertEqual(self.results("badrec")["dmarc"],
                         "permerror header.from=broken.test")
        # dnsmasq refuses names outside .test: no answer at all.
        self.assertEqual(self.send("a@elsewhere.example",
                                   message("a@elsewhere.example", "tmp"))[0],
                         250)
        self.assertEqual(self.results("tmp")["dmarc"],
                         "temperror header.from=elsewhere.example")


class PolicySettingsTest(DkimDmarcTest):
    extra = ("smtpd_dmarc_reject_action = quarantine\n"
             "smtpd_dmarc_defer_temperror = yes\n")

    def test_reject_quarantined_by_setting_and_temperror_deferred(self):
        self.assertEqual(self.send("a@signed.test",
                                   message("a@signed.test", "held"),
                                   STRANGER)[0], 250)
        self.assertEqual(self.results("held", folder="Junk")["dmarc"],
                         "fail (p=reject dis=reject) header.from=signed.test")
        code, text = self.send("a@elsewhere.example",
                               message("a@elsewhere.example", "later"))
        self.assertEqual(code, 451)
        self.assertTrue(text.startswith("4.7.5 "), text)


if __name__ == "__main__":
    unittest.main()
