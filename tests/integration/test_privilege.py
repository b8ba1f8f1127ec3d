"""Privilege and TLS checks (issue 10, part 5): every daemon runs as its
DESIGN.md user in its chroot with no capabilities, read from /proc; the
private sockets refuse other users; the TLS services offer nothing below
TLS 1.2 and no weak cipher, checked with openssl s_client."""
import os
import pwd
import smtplib
import subprocess
import unittest

from harness import IS_ROOT, ImapInstance, wait_for

KEYDUMP = os.environ.get("POSTERN_KEYDUMP", "")
# Regions bigger than this are sanitizer shadow or reservations, not data.
REGION_MAX = 256 << 20

# daemon -> (user, chroot directory under the instance) per DESIGN.md 1
JAILS = {
    "smtpd": ("postern", "queue"),
    "qmgr": ("postern", "queue"),
    "smtp": ("postern", "queue"),
    "local": ("postern-mail", "store"),
    "imapd": ("postern-mail", "store"),
    "pop3d": ("postern-mail", "store"),
    "expire": ("postern-mail", "store"),
    "authd": ("postern-auth", "auth"),
    "cryptd": ("postern-crypt", "keys"),
}


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def memory_has(pid, needles):
    """Which of needles (bytes) the readable memory of pid holds (as
    root, through /proc/PID/mem)."""
    found = set()
    with open(f"/proc/{pid}/maps") as maps, \
            open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if fields[1][0] != "r" or hi - lo > REGION_MAX or \
                    (len(fields) > 5 and fields[5] in ("[vvar]",
                                                       "[vsyscall]")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            found |= {n for n in needles if n in data}
    return found


def daemon_of(pid):
    return os.path.basename(os.readlink(f"/proc/{pid}/exe"))


@unittest.skipUnless(IS_ROOT, "needs root: users, chroots, other users")
class PrivilegeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = ImapInstance("process_min = 1\n")
        cls.inst.append(
            "master.conf",
            "expire unix expire - - 1 expire\n"
            "smtp-out unix smtp-out - - - smtp -o client_limit=1\n")
        cls.inst.start()

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def jailed(self):
        """{pid: daemon} once every child has given up root."""
        def ready():
            kids = self.inst.children()
            try:
                if len(kids) < 12 or any(
                        proc_status(p)["Uid"].split()[0] == "0"
                        for p in kids):
                    return None
                return {p: daemon_of(p) for p in kids}
            except OSError:
                return None
        kids = wait_for(ready, 15)
        self.assertTrue(kids, self.inst.log())
        return kids

    def test_every_daemon_as_its_user_in_its_jail(self):
        kids = self.jailed()
        self.assertEqual(set(kids.values()), set(JAILS), kids)
        for pid, daemon in kids.items():
            user, jail = JAILS[daemon]
            pw = pwd.getpwnam(user)
            st = proc_status(pid)
            with self.subTest(daemon=daemon, pid=pid):
                self.assertEqual(st["Uid"].split(), [str(pw.pw_uid)] * 4)
                self.assertEqual(st["Gid"].split(), [str(pw.pw_gid)] * 4)
                # initgroups: the user's own group, nothing more
                self.assertLessEqual(set(st["Groups"].split()),
                                     {str(pw.pw_gid)})
                for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                    self.assertEqual(int(st[cap], 16), 0, cap)
                self.assertEqual(
                    os.readlink(f"/proc/{pid}/root"),
                    os.path.realpath(os.path.join(self.inst.dir, jail)))

    @unittest.skipUnless(KEYDUMP, "needs the keydump test tool")
    def test_private_key_only_in_cryptd(self):
        self.jailed()
        user = "keyed@example.test"
        self.inst.add_user(user)
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=30) as s:
            s.sendmail("a@remote.test", [user], b"Subject: needle\r\n\r\n"
                       b"plaintext-marker-7f3a9c only the reader sees\r\n")
        self.inst.wait_mail(user, 1)
        self.assertTrue(self.inst.queue_empty())
        # No plaintext of the delivered message anywhere on disk.
        for top, _, files in os.walk(self.inst.dir):
            for name in files:
                path = os.path.join(top, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    self.assertNotIn(b"plaintext-marker-7f3a9c", f.read(),
                                     path)
        r = subprocess.run(
            [KEYDUMP, "hash:" + os.path.join(self.inst.dir, "auth", "users"),
             user], input=self.inst.PASSWORD + "\n", capture_output=True,
            text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        sk = bytes.fromhex(r.stdout.strip())
        self.assertEqual(len(sk), 32)
        marker = b"plaintext-marker-7f3a9c"
        # A session that has the message open: cryptd holds the key,
        # imapd the message's plaintext (and its content key).
        c = self.inst.imap(user)
        self.addCleanup(c.logout)
        c.select("INBOX")
        typ, data = c.fetch("1", "(BODY[])")
        self.assertIn(marker, data[0][1])
        kids = self.jailed()
        seen = {p: memory_has(p, {sk, marker}) for p in kids}
        holders = sorted(kids[p] for p, f in seen.items() if sk in f)
        self.assertLessEqual(set(holders), {"cryptd"}, seen)
        # The scan can see: imapd, which decrypted it, holds the text.
        self.assertTrue(any(marker in f for p, f in seen.items()
                            if kids[p] == "imapd"), seen)

    def connect_as(self, path, user):
        """0 if user could connect to the unix socket path, else 1."""
        code = ("import socket, sys\n"
                "s = socket.socket(socket.AF_UNIX)\n"
                "try:\n"
                "    s.connect(sys.argv[1])\n"
                "except PermissionError:\n"
                "    sys.exit(1)\n")
        pw = pwd.getpwnam(user)
        return subprocess.run(["python3", "-c", code, path], user=pw.pw_uid,
                              group=pw.pw_gid, extra_groups=[],
                              timeout=10).returncode

    def test_private_sockets_refuse_other_users(self):
        self.jailed()
        run = os.path.join(self.inst.dir, "run")
        private = os.path.join(run, "private")
        socks = [os.path.join(private, n) for n in sorted(os.listdir(private))]
        socks.append(os.path.join(run, "master.sock"))
        self.assertGreaterEqual(len(socks), 6, socks)
        for path in socks:
            with self.subTest(socket=path):
                self.assertEqual(self.connect_as(path, "nobody"), 1)
                # Another of our own users is just as much a stranger to
                # master's control socket.
                if path.endswith("master.sock"):
                    self.assertEqual(self.connect_as(path, "postern"), 1)
        # The check can tell: root (master's user) does get in.
        self.assertEqual(self.connect_as(socks[-1], "root"), 0)

    def s_client(self, port, *opts):
        r = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
             "-servername", "localhost", *opts],
            input=b"", capture_output=True, timeout=30)
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def test_tls_nothing_below_1_2_and_no_weak_cipher(self):
        weak = ("RC4:DES:3DES:NULL:EXPORT:aNULL:eNULL:MD5:CAMELLIA:SEED:"
                "IDEA:PSK:SRP:kRSA@SECLEVEL=0")
        for name, port in (("smtps", self.inst.smtps_port),
                           ("imaps", self.inst.imaps_port),
                           ("pop3s", self.inst.pop3s_port)):
            with self.subTest(service=name):
                # The client offers everything (SECLEVEL=0): only the
                # server can be the one that says no.
                rc, out = self.s_client(port, "-tls1_2",
                                        "-cipher", "ALL@SECLEVEL=0")
                self.assertEqual(rc, 0, out)
                self.assertRegex(out, r"Cipher is ECDHE-(RSA|ECDSA)-"
                                 r"(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)")
                rc, out = self.s_client(port, "-tls1_3")
                self.assertEqual(rc, 0, out)
                self.assertIn("TLSv1.3", out)
                for old in ("-tls1", "-tls1_1"):
                    rc, out = self.s_client(port, old, "-cipher",
                                            "ALL@SECLEVEL=0")
                    self.assertNotEqual(rc, 0, out)
                    self.assertNotIn("no protocols available", out)
                    self.assertRegex(out, r"alert protocol version|"
                                     r"unsupported protocol|"
                                     r"wrong version number")
                rc, out = self.s_client(port, "-tls1_2", "-cipher", weak)
                self.assertNotEqual(rc, 0, out)
                self.assertRegex(out, r"handshake failure|no shared cipher")


if __name__ == "__main__":
    unittest.main()
