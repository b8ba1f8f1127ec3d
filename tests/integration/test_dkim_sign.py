"""DKIM signing: postern dkim keygen writes private keys and prints the TXT
records; cryptd signs through the signer the smtp agent uses
(tests/dkimsign, lib/mail/dkim_sign.h); dkimpy (Debian's python3-dkim), an
independent verifier, checks the signatures against those records;
postern check compares the keys with DNS (dnsmasq)."""
import os
import re
import stat
import subprocess
import unittest

from harness import IS_ROOT, DnsServer, Instance, postern, wait_for

try:
    import dkim
except ImportError:             # pragma: no cover
    dkim = None

DKIMSIGN = os.environ.get("POSTERN_DKIMSIGN", "")

MESSAGE = (b"From: Jane Doe <jane@example.test>\r\n"
           b"To: Bob <bob@elsewhere.test>\r\n"
           b"Cc: carol@elsewhere.test\r\n"
           b"Subject: dinner\r\n"
           b"  tonight?\r\n"
           b"Date: Tue, 01 Dec 2026 08:00:00 +0000\r\n"
           b"Message-ID: <1@example.test>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"X-Unsigned: anything\r\n"
           b"\r\n"
           b"Hi Bob,\r\n"
           b"\r\n"
           b"  are you   hungry yet?\t \r\n"
           + b"A long line. " * 200 + b"\r\n"
           b"\r\n"
           b"Jane\r\n"
           b"\r\n\r\n")


def zone_records(text):
    """{name: record text} from postern dkim's zone lines."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"(\S+)\. IN TXT (.*)$", line)
        if m:
            out[m.group(1)] = "".join(re.findall(r'"([^"]*)"',
                                                 m.group(2)))
    return out


@unittest.skipIf(dkim is None, "python3-dkim is not installed "
                 "(scripts/deps.sh test)")
class DkimSignTest(unittest.TestCase):
    def setUp(self):
        self.inst = Instance()
        self.inst.set_services([
            "cryptd unix cryptd - - - cryptd -o allowed_clients=smtp-out"])
        self.keys = os.path.join(self.inst.dir, "keys", "dkim")
        self.records = {}
        self.dns = None

    def tearDown(self):
        if self.dns:
            self.dns.stop()
        self.assertEqual(self.inst.cleanup(), [])

    def cmd(self, *args):
        return postern(self.inst.dir, *args)

    def keygen(self, *args):
        r = self.cmd("dkim", "keygen", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.records.update(zone_records(r.stdout))
        return r

    def dnsfunc(self, name, timeout=5):
        name = name.decode().rstrip(".")
        return self.records.get(name, "").encode()

    def sign(self, message, expect=0):
        sock = os.path.join(self.inst.dir, "run", "private", "cryptd")
        r = subprocess.run([DKIMSIGN, sock], input=message,
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, expect, r.stderr)
        return r.stdout, r.stderr.decode()

    def verify(self, signed, idx):
        d = dkim.DKIM(signed)
        try:
            return d.verify(idx=idx, dnsfunc=self.dnsfunc)
        except dkim.ValidationError:    # e.g. "body hash mismatch"
            return False

    def signatures(self, signed):
        head = signed.split(b"\r\n\r\n", 1)[0]
        return re.findall(rb"^DKIM-Signature:.*?(?=\r\n[^ \t])", head,
                          re.S | re.M)

    def test_keygen_files_and_records(self):
        r = self.keygen("Example.TEST", "k1")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        self.assertRegex(lines[0], r'^k1-ed25519\._domainkey\.example\.test'
                         r'\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]'
                         r'{43}="$')
        self.assertRegex(lines[1], r'^k1-rsa\._domainkey\.example\.test\. '
                         r'IN TXT \( "v=DKIM1; k=rsa; p=MII')
        for s in re.findall(r'"([^"]*)"', lines[1]):
            self.assertLessEqual(len(s), 255)
        rsa = self.records["k1-rsa._domainkey.example.test"]
        self.assertGreater(len(rsa), 255)       # 2048 bits: split
        dom = os.path.join(self.keys, "example.test")
        for d in (self.keys, dom):
            self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        for f in ("k1-ed25519.pem", "k1-rsa.pem", "current"):
            st = os.stat(os.path.join(dom, f))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, f)
            if IS_ROOT:
                import pwd
                self.assertEqual(pwd.getpwuid(st.st_uid).pw_name,
                                 "postern-crypt", f)
        with open(os.path.join(dom, "current")) as f:
            self.assertEqual(f.read(), "k1-ed25519\nk1-rsa\n")
        # The printed record is the key's own public half.
        pub = subprocess.run(
            ["openssl", "pkey", "-in", os.path.join(dom, "k1-rsa.pem"),
             "-pubout", "-outform", "DER"], capture_output=True,
            check=True).stdout
        import base64
        self.assertEqual(rsa.split("p=")[1], base64.b64encode(pub).decode())
        # A selector names one key for ever.
        r = self.cmd("dkim", "keygen", "example.test", "k1-rsa", "-a", "rsa")
        self.assertEqual(r.returncode, 1)
        self.assertIn("choose a new one", r.stderr)
        r = self.cmd("dkim", "keygen", "example.test", "../x")
        self.assertEqual(r.returncode, 2)
        r = self.cmd("dkim", "keygen", "example.test", "k2", "-b", "512")
        self.assertEqual(r.returncode, 2)
        # One algorithm: the selector as given.
        r = self.keygen("example.test", "k2", "-a", "rsa", "-b", "1024",
                        "-n")
        self.assertTrue(r.stdout.startswith("k2._domainkey.example.test. "
                                            "IN TXT \"v=DKIM1; k=rsa; p="))
        r = self.cmd("dkim", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.splitlines()), [
            "example.test k1-ed25519 ed25519 current",
            "example.test k1-rsa rsa current",
            "example.test k2 rsa inactive"])
        r = self.cmd("dkim", "record", "example.test")
        self.assertEqual(zone_records(r.stdout), {
            k: v for k, v in self.records.items() if "k1" in k})

    def test_sign_and_verify(self):
        self.keygen("example.test", "s")
        self.inst.start()
        signed, _ = self.sign(MESSAGE)
        sigs = self.signatures(signed)
        self.assertEqual(len(sigs), 2, signed[:2000])
        self.assertTrue(signed.endswith(MESSAGE))
        self.assertIn(b"a=ed25519-sha256;", sigs[0])
        self.assertIn(b"s=s-ed25519;", sigs[0])
        self.assertIn(b"a=rsa-sha256;", sigs[1])
        self.assertIn(b"s=s-rsa;", sigs[1])
        for s in sigs:
            self.assertIn(b"c=relaxed/relaxed;", s)
            self.assertIn(b"d=example.test;", s)
            self.assertRegex(s, rb"t=\d+;")
            h = re.sub(rb"\s", b"", re.search(rb"h=([^;]*);", s).group(1))
            names = h.split(b":")
            self.assertEqual(names.count(b"from"), 2)     # oversigned
            for n in (b"to", b"cc", b"subject", b"date", b"message-id",
                      b"mime-version", b"content-type"):
                self.assertIn(n, names)
            self.assertNotIn(b"x-unsigned", names)
            for line in s.split(b"\r\n"):
                self.assertLessEqual(len(line), 78)
        self.assertTrue(self.verify(signed, 0), "Ed25519 does not verify")
        self.assertTrue(self.verify(signed, 1), "RSA does not verify")

        # Anything signed changed: neither verifies.
        tampered = [
            signed.replace(b"hungry", b"thirsty"),
            signed.replace(b"Subject: dinner", b"Subject: lunch"),
            signed.replace(b"From: Jane", b"From: x@y.test\r\nFrom: Jane"),
            signed + b"P.S.\r\n",
        ]
        for i, t in enumerate(tampered):
            for idx in (0, 1):
                self.assertFalse(self.verify(t, idx), (i, idx))
        # What relaxed canonicalization forgives, and unsigned fields.
        relaxed = (signed.replace(b"are you   hungry", b"are you hungry")
                   .replace(b"X-Unsigned: anything", b"X-Unsigned: else")
                   .replace(b"Subject: dinner", b"subject:   dinner"))
        self.assertTrue(self.verify(relaxed, 0))
        self.assertTrue(self.verify(relaxed, 1))

    def test_one_key_rotation_and_no_key(self):
        self.keygen("example.test", "old", "-a", "ed25519")
        self.inst.start()
        signed, _ = self.sign(MESSAGE)
        sigs = self.signatures(signed)
        self.assertEqual(len(sigs), 1)
        self.assertIn(b"s=old;", sigs[0])
        self.assertTrue(self.verify(signed, 0))
        # A new key, published first (-n), then made current: cryptd
        # takes it without a restart.
        self.keygen("example.test", "new", "-a", "ed25519", "-n")
        self.assertIn(b"s=old;", self.signatures(self.sign(MESSAGE)[0])[0])
        r = self.cmd("dkim", "use", "example.test", "new")
        self.assertEqual(r.returncode, 0, r.stderr)
        signed, _ = self.sign(MESSAGE)
        self.assertIn(b"s=new;", self.signatures(signed)[0])
        self.assertTrue(self.verify(signed, 0))
        # A domain without keys, or no usable From:, is sent unsigned.
        for msg, why in (
                (MESSAGE.replace(b"jane@example.test", b"jane@other.test"),
                 "no DKIM key for other.test"),
                (MESSAGE.replace(b"From: Jane Doe <jane@example.test>",
                                 b"From: a@example.test, b@example.test"),
                 "no single From:")):
            out, err = self.sign(msg, expect=1)
            self.assertEqual(out, msg)
            self.assertIn(why, err)
        self.assertTrue(self.inst.wait_log(r"DKIM key for example.test: "
                                           r"s=new a=ed25519-sha256"))

    def check_with(self, records):
        self.dns = DnsServer(records)
        path = os.path.join(self.inst.dir, "postern.conf")
        with open(path) as f:
            conf = [l for l in f.read().splitlines()
                    if not l.startswith("dns_")]
        self.inst.write("postern.conf", "\n".join(conf) +
                        f"\ndns_resolvers = {self.dns.resolvers}\n"
                        "dns_timeout = 1s\n")
        r = self.cmd("check")
        self.dns.stop()
        self.dns = None
        return r

    def txt(self, name, text):
        # dnsmasq: a comma starts a new character-string
        return ("txt", name, ",".join(text[i:i + 255]
                                      for i in range(0, len(text), 255)))

    def test_check_against_dns(self):
        r = self.cmd("check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("note: local domain example.test has no DKIM key",
                      r.stderr)
        self.keygen("example.test", "c")
        ed = "c-ed25519._domainkey.example.test"
        rsa = "c-rsa._domainkey.example.test"
        good = [self.txt(n, self.records[n]) for n in (ed, rsa)]
        r = self.check_with(good)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is OK", r.stdout)
        self.assertNotIn("local domain", r.stderr)

        # Another key's p=, the wrong k=, and a missing record.
        self.keygen("example.test", "other", "-a", "rsa", "-b", "1024",
                    "-n")
        other = self.records["other._domainkey.example.test"]
        bad = [self.txt(ed, self.records[ed].replace("k=ed25519", "k=rsa")),
               self.txt(rsa, "v=DKIM1; k=rsa; " + other.split("; ")[2])]
        inst_keys = os.path.join(self.keys, "example.test")
        r = self.check_with(bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{inst_keys}/c-ed25519.pem: {ed}: k=rsa published, "
                      "the key is ed25519", r.stderr)
        self.assertIn(f"{inst_keys}/c-rsa.pem: {rsa}: the published p= is "
                      "not this key's", r.stderr)
        self.assertIn(f"{inst_keys}/other.pem: note: not current, and "
                      "other._domainkey.example.test: no DKIM record "
                      "published", r.stderr)
        self.assertIn('publish: "v=DKIM1; k=rsa; p=MII', r.stderr)
        self.assertIn("2 problems found", r.stderr)

        r = self.check_with(good[:1])
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{inst_keys}/c-rsa.pem: {rsa}: no DKIM record "
                      "published", r.stderr)
        # A key others can read.
        os.chmod(os.path.join(inst_keys, "c-rsa.pem"), 0o644)
        r = self.check_with(good)
        self.assertEqual(r.returncode, 1)
        self.assertIn("c-rsa.pem: mode 0644: others can read the DKIM key",
                      r.stderr)


if __name__ == "__main__":
    unittest.main()
