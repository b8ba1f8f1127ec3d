"""Zero-access store (issue 4): what is on disk, and who can read it back.

Messages go in over SMTP; they are read back only through the access API
(tests/integration/mailread.c, which stands where imapd and pop3d will),
logged in through authd, with content keys from cryptd."""
import os
import signal
import smtplib
import socket
import subprocess
import time
import unittest

from harness import MailInstance, free_port, wait_for

MAILREAD = os.environ.get("POSTERN_MAILREAD", "")


class Reader:
    def __init__(self, port, source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                             source_address=(source, 0))
        self.f = self.sock.makefile("rb")

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.f.readline().decode().rstrip("\r\n")

    def read(self, path):
        head = self.cmd("READ " + path)
        if not head.startswith("DATA "):
            return head
        data = self.f.read(int(head[5:]))
        self.f.read(2)
        return data

    def close(self):
        self.f.close()
        self.sock.close()


class CryptoTest(unittest.TestCase):
    def setUp(self):
        self.inst = MailInstance("auth_failure_delay_max = 0s\n"
                                 "auth_block_threshold = 20\n")
        self.addCleanup(self.inst.cleanup)
        self.read_port = free_port()
        with open(os.path.join(self.inst.dir, "master.conf"), "a") as f:
            f.write("authd unix authd - - - authd\n"
                    "cryptd unix cryptd - - - cryptd "
                    "-o allowed_clients=authd,mailread\n"
                    f"mailread inet 127.0.0.1:{self.read_port} - - - "
                    f"{MAILREAD}\n")
        self.inst.add_user("bob@example.test", password="bob's secret")
        self.inst.add_user("alice@example.test", password="alice pw")
        self.inst.start()

    def reader(self, source="127.0.0.1"):
        r = Reader(self.read_port, source)
        self.addCleanup(r.close)
        return r

    def deliver(self, marker, to="bob@example.test"):
        body = (f"From: a@client.test\r\nSubject: header {marker}-H\r\n"
                f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                f"boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                f"body {marker}-B\r\n--b\r\nContent-Type: text/plain\r\n"
                f"Content-Disposition: attachment; filename=a.txt\r\n\r\n"
                f"attachment {marker}-A\r\n--b--\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.sendmail("a@client.test", [to], body)
        return body

    def stored(self, address="bob@example.test"):
        base = os.path.join(self.inst.dir, "store")
        return [os.path.relpath(p, base)
                for p in self.inst.mailbox_files(address)]

    def wait_stored(self, n, address="bob@example.test"):
        self.assertTrue(wait_for(lambda: len(self.stored(address)) >= n, 10))
        self.assertTrue(self.inst.queue_empty())

    def test_no_marker_anywhere_on_disk_and_exact_read_back(self):
        markers = [f"ZQX{i:04d}MARK" for i in range(5)]
        bodies = [self.deliver(m) for m in markers]
        self.wait_stored(len(markers))
        # Every file of the instance: store, queue, tables, logs.
        for root, _, files in os.walk(self.inst.dir):
            for name in files:
                path = os.path.join(root, name)
                if not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                for m in markers:
                    for part in "HBA":
                        self.assertNotIn(f"{m}-{part}".encode(), data,
                                         f"marker found in {path}")
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "OK")
        got = [r.read(p) for p in self.stored()]
        for body in bodies:
            self.assertEqual(sum(1 for g in got if isinstance(g, bytes) and
                                 g.endswith(body)), 1)
        for g in got:
            self.assertTrue(g.startswith(b"Return-Path: <a@client.test>\r\n"
                                         b"Delivered-To: bob@example.test"))

    def test_wrong_password_and_other_users_mail(self):
        self.deliver("WPW")
        self.deliver("ALICE", to="alice@example.test")
        self.wait_stored(1)
        self.wait_stored(1, "alice@example.test")
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN bob@example.test wrong"), "NO")
        self.assertEqual(r.read(self.stored()[0]), "ERR not logged in")
        self.assertEqual(r.cmd("LOGIN nobody@example.test x"), "NO")
        self.assertTrue(self.inst.wait_log(
            r"authentication failed: user=<bob@example\.test> "
            r"rip=127\.0\.0\.1 service=test"))
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "OK")
        # Bob's session opens Bob's mail, not Alice's.
        self.assertIsInstance(r.read(self.stored()[0]), bytes)
        self.assertTrue(r.read(self.stored("alice@example.test")[0])
                        .startswith("ERR"))

    def test_tampered_file_is_a_clean_error(self):
        self.deliver("T1")
        self.deliver("T2")
        self.wait_stored(2)
        paths = self.stored()
        full = os.path.join(self.inst.dir, "store", paths[0])
        with open(full, "r+b") as f:
            f.seek(200)
            b = f.read(1)
            f.seek(200)
            f.write(bytes([b[0] ^ 0x55]))
        r = self.reader()
        r.cmd("LOGIN bob@example.test bob's secret")
        self.assertEqual(r.read(paths[0]),
                         "ERR message file is damaged or was altered")
        self.assertIsInstance(r.read(paths[1]), bytes)
        # A truncated copy too.
        with open(full, "r+b") as f:
            f.truncate(150)
        self.assertTrue(r.read(paths[0]).startswith("ERR"))

    def test_password_change_keeps_old_mail(self):
        body = self.deliver("PWCH")
        self.wait_stored(1)
        res = self.inst.cmd("user", "passwd", "bob@example.test",
                            "--password-stdin",
                            input="bob's secret\nnew secret\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "NO")
        self.assertEqual(r.cmd("LOGIN bob@example.test new secret"), "OK")
        self.assertTrue(r.read(self.stored()[0]).endswith(body))
        # A wrong old password changes nothing.
        res = self.inst.cmd("user", "passwd", "bob@example.test",
                            "--password-stdin", input="nope\nother\n")
        self.assertEqual(res.returncode, 1)

    def test_recovery_key_reset(self):
        res = self.inst.cmd("user", "add", "carol@example.test",
                            "--recovery-key", "--password-stdin",
                            input="carol pw\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        key = res.stdout.split("\n")[1].strip()
        body = self.deliver("RECOV", to="carol@example.test")
        self.wait_stored(1, "carol@example.test")
        res = self.inst.cmd("user", "passwd", "carol@example.test",
                            "--recovery-key", "--password-stdin",
                            input=key + "\nfresh pw\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN carol@example.test fresh pw"), "OK")
        self.assertTrue(r.read(self.stored("carol@example.test")[0])
                        .endswith(body))
        # The recovery key is not stored anywhere.
        for root, _, files in os.walk(self.inst.dir):
            for name in files:
                path = os.path.join(root, name)
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        self.assertNotIn(key.encode(), f.read())
        # Reset without either: warned, refused without --force.
        res = self.inst.cmd("user", "passwd", "carol@example.test", "--reset",
                            "--password-stdin", input="x\n")
        self.assertEqual(res.returncode, 1)
        self.assertIn("becomes unreadable", res.stderr)

    def test_kill_cryptd_during_a_session(self):
        body = self.deliver("KILL")
        self.wait_stored(1)
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "OK")
        path = self.stored()[0]
        self.assertTrue(r.read(path).endswith(body))
        pids = [p for p in self.inst.children()
                if open(f"/proc/{p}/comm").read().strip() == "cryptd"]
        self.assertEqual(len(pids), 1)
        with open(f"/proc/{pids[0]}/limits") as f:
            self.assertRegex(f.read(), r"Max core file size\s+0\s+0")
        os.kill(pids[0], signal.SIGKILL)
        self.assertTrue(r.read(path).startswith("ERR"))
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "OK")
        self.assertTrue(r.read(path).endswith(body))

    def test_brute_force_is_blocked_per_address(self):
        r = self.reader()
        for i in range(19):
            self.assertEqual(r.cmd(f"LOGIN bob@example.test guess{i}"), "NO")
        self.assertEqual(r.cmd("LOGIN bob@example.test guess19"), "NO")
        self.assertTrue(self.inst.wait_log(
            r"authentication blocked: rip=127\.0\.0\.1"))
        # Blocked: even the right password is refused from here...
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "NO")
        # ...but not from another address.
        other = self.reader(source="127.0.0.2")
        self.assertEqual(other.cmd("LOGIN bob@example.test bob's secret"),
                         "OK")

    def test_user_show_and_export(self):
        body = self.deliver("EXPORT")
        self.wait_stored(1)
        res = self.inst.cmd("user", "show", "bob@example.test")
        self.assertIn("password hash: Argon2id", res.stdout)
        # A login hands the access side the public key (for APPEND).
        r = self.reader()
        self.assertEqual(r.cmd("LOGIN bob@example.test bob's secret"), "OK")
        pk = [l.split(": ")[1] for l in res.stdout.splitlines()
              if l.startswith("public key:")][0]
        self.assertEqual(r.cmd("PUBKEY"), "PK " + pk)
        self.assertNotIn("secret", res.stdout)
        res = self.inst.cmd("user", "export", "--password-stdin",
                            "bob@example.test", input="bob's secret\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(res.stdout.startswith("From a@client.test "),
                        res.stdout[:80])
        self.assertIn("body EXPORT-B", res.stdout)
        res = self.inst.cmd("user", "export", "--password-stdin",
                            "bob@example.test", input="wrong\n")
        self.assertEqual(res.returncode, 1)
        self.assertNotIn("EXPORT", res.stdout)


if __name__ == "__main__":
    unittest.main()
