"""expire(8) against a running instance: messages with an Expires: field
(delivered over SMTP, submitted by a local user, appended over IMAP) are
deleted when their time comes, a logged-in IMAP client sees EXPUNGE,
the encrypted file goes from disk, and Junk retention removes old Junk
mail but nothing in INBOX.  Time is moved with expire_clock_offset and a
reload, never by sleeping for days."""
import email.utils
import imaplib
import os
import re
import smtplib
import time
import unittest

from harness import (ImapInstance, Instance, client_tls, free_port,
                     postern, wait_for)
from imaptest import ALICE, BOB, Raw, message

DAY = 86400


def rfc5322(t):
    return email.utils.formatdate(t, usegmt=True)


class ExpireTest(unittest.TestCase):
    def setUp(self):
        self.inst = ImapInstance(extra_conf="auth_failure_delay_max = 0s\n"
                                 "expire_sweep_interval = 1s\n")
        self.sub = free_port()
        path = os.path.join(self.inst.dir, "master.conf")
        with open(path) as f:
            conf = f.read().replace("allowed_clients=imap,imaps,pop3,pop3s",
                                    "allowed_clients=imap,imaps,pop3,pop3s,"
                                    "submission")
        self.inst.write("master.conf", conf)
        self.inst.append(
            "master.conf",
            f"submission inet 127.0.0.1:{self.sub} - - - smtpd "
            "-o smtpd_submission=yes\n"
            "expire unix expire - - 1 expire -o process_min=1\n")
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), [],
                                                 "sanitizer reports"))
        self.inst.add_user(BOB, password="bob's secret")
        self.inst.add_user(ALICE, password="alice pw")
        self.inst.start()

    def deliver(self, subject, extra="", to=BOB):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.sendmail("alice@example.org", [to],
                       message(subject, extra=extra).encode())
        self.assertIsNotNone(self.inst.wait_message(to, subject.encode()))

    def jump(self, seconds):
        """Move expire's clock ahead: a reload with the setting on the
        expire line of master.conf restarts expire alone, so logged-in
        sessions (and their keys in cryptd) stay."""
        before = len(re.findall(r"expire_clock_offset = \d+s",
                                self.inst.log()))
        path = os.path.join(self.inst.dir, "master.conf")
        with open(path) as f:
            lines = [l for l in f.read().splitlines()
                     if not l.startswith("expire ")]
        lines.append("expire unix expire - - 1 expire -o process_min=1 "
                     f"-o expire_clock_offset={seconds}s")
        self.inst.write("master.conf", "\n".join(lines) + "\n")
        self.inst.reload()
        self.assertTrue(wait_for(
            lambda: len(re.findall(rf"expire_clock_offset = {seconds}s",
                                   self.inst.log())) > before, 15),
            "\n".join(l for l in self.inst.log().splitlines()
                      if "expire" in l or "master" in l))

    def files(self, folder=""):
        return [os.path.basename(p)
                for p in self.inst.mailbox_files(BOB, folder)]

    def due_entries(self):
        base = os.path.join(self.inst.dir, "store", ".postern-expire")
        out = []
        for root, _, names in os.walk(base):
            out += names
        return out

    def imap_login(self, user=BOB):
        c = self.inst.imap(user)
        self.addCleanup(lambda: c.logout())
        return c

    def test_expires_field_idle_sees_expunge(self):
        now = int(time.time())
        self.deliver("keep me")
        self.deliver("expire me", extra=f"Expires: {rfc5322(now + DAY)}\r\n")
        self.deliver("later", extra=f"Expires: {rfc5322(now + 10 * DAY)}"
                     "\r\n")
        self.assertTrue(self.inst.wait_log(
            r"local\[\d+\]: \w+: to=<bob@example\.test>: expires="
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"))
        names = self.files()
        self.assertEqual(len(names), 3)
        self.assertEqual(len([n for n in names if ",E=" in n]), 2)
        self.assertEqual(len(self.due_entries()), 2)
        # A user in IDLE on INBOX.
        r = Raw(self.inst.imap_port)
        self.addCleanup(r.close)
        self.assertIn("OK", r.cmd("a", f'LOGIN {BOB} "bob\'s secret"')[-1])
        sel = r.cmd("b", "SELECT INBOX")
        self.assertIn("* 3 EXISTS", sel)
        fetch = r.cmd("c", "FETCH 1:3 (UID ENVELOPE)")
        self.assertTrue(any("expire me" in l for l in fetch))
        r.send("d IDLE")
        self.assertTrue(r.line().startswith("+"))
        # Nothing is due yet: a sweep runs every second and deletes nothing.
        time.sleep(2)
        self.assertEqual(len(self.files()), 3)
        self.jump(2 * DAY)
        r.sock.settimeout(20)
        got = []
        while True:
            line = r.line()
            got.append(line)
            if "EXPUNGE" in line or line == "":
                break
        self.assertEqual(got[-1], "* 2 EXPUNGE", got)
        r.send("DONE")
        self.assertIn("OK", r.until("d")[-1])
        # The other two stay; the expired file is gone from disk (the
        # index records the expunge first, then the file goes).
        wait_for(lambda: len(self.files()) == 2, 5)
        names = self.files()
        self.assertEqual(len(names), 2, names)
        self.assertEqual(len([n for n in names if ",E=" in n]), 1)
        fetch = r.cmd("e", "FETCH 1:* ENVELOPE")
        text = "\n".join(fetch)
        self.assertIn("keep me", text)
        self.assertIn("later", text)
        self.assertNotIn("expire me", text)
        m = self.inst.wait_log(
            r"expire\[\d+\]: mailbox=bob@example\.test, folder=INBOX, "
            r"uid=2, reason=expires, expired=(\S+)")
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1),
                         time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                       time.gmtime(now + DAY)))
        # Summed up by the sweep, or by the store pass a new expire
        # process starts with (then the sweep finds its entry gone).
        self.assertTrue(self.inst.wait_log(
            r"expire\[\d+\]: (sweep|store pass): .*expired=1, "))
        self.assertTrue(wait_for(lambda: len(self.due_entries()) == 1, 5))

    def test_junk_retention_noop_sees_expunge(self):
        c = self.imap_login()
        c.create("Junk")        # made at login, or now
        old = imaplib.Time2Internaldate(time.time() - 25 * DAY)
        self.assertEqual(c.append("Junk", None, old, message(
            "old junk").encode())[0], "OK")
        self.assertEqual(c.append("Junk", None, None, message(
            "new junk").encode())[0], "OK")
        self.assertEqual(c.append("INBOX", None, old, message(
            "old inbox").encode())[0], "OK")
        self.deliver("fresh inbox")
        self.assertEqual(c.select("Junk")[1], [b"2"])
        # 25 + 10 days: over Junk's 30 days for the old one only.
        self.jump(10 * DAY)
        expunged = []

        def noop():
            c.noop()
            typ, data = c.response("EXPUNGE")
            expunged.extend(d for d in data if d is not None)
            return expunged
        self.assertTrue(wait_for(noop, 15, step=0.5), self.inst.log()[-2000:])
        self.assertEqual(expunged, [b"1"])
        typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = b"".join(d[1] for d in data if isinstance(d, tuple))
        self.assertIn(b"new junk", subjects)
        self.assertNotIn(b"old junk", subjects)
        self.assertEqual(len(self.files("Junk")), 1)
        self.assertEqual(len(self.files()), 2)     # INBOX keeps its old mail
        self.assertTrue(self.inst.wait_log(
            r"expire\[\d+\]: mailbox=bob@example\.test, folder=Junk, uid=1, "
            r"reason=retention, expired="))
        self.assertTrue(self.inst.wait_log(
            r"expire\[\d+\]: store pass: mailboxes=\d+, expired=0, "
            r"retention=1, gone=0, failed=0"))

    def test_submission_append_and_copy(self):
        now = int(time.time())
        s = smtplib.SMTP("127.0.0.1", self.sub, timeout=30)
        self.addCleanup(s.close)
        s.ehlo("laptop.example")
        s.starttls(context=client_tls())
        s.ehlo("laptop.example")
        s.login(ALICE, "alice pw")
        s.sendmail(ALICE, [BOB], (
            f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: self-destruct\r\n"
            f"Expires: {rfc5322(now + 3600)}\r\n\r\ngone soon\r\n").encode())
        self.assertIsNotNone(self.inst.wait_message(BOB, b"self-destruct"))
        # Alice saves her sent copy with the same field; Bob files a copy.
        a = self.imap_login(ALICE)
        a.create("Sent")        # made at login, or now
        self.assertEqual(a.append("Sent", None, None, (
            f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: self-destruct\r\n"
            f"Expires: {rfc5322(now + 3600)}\r\n\r\ngone soon\r\n"
        ).encode())[0], "OK")
        b = self.imap_login()
        self.assertEqual(b.create("Kept")[0], "OK")
        b.select("INBOX")
        self.assertEqual(b.copy("1", "Kept")[0], "OK")
        self.assertEqual(len(self.files("Kept")), 1)
        self.assertEqual(len(self.due_entries()), 3)
        self.jump(2 * 3600)
        self.assertTrue(wait_for(lambda: not self.files() and
                                 not self.files("Kept"), 15),
                        self.inst.log()[-2000:])
        self.assertTrue(wait_for(
            lambda: not self.inst.mailbox_files(ALICE, "Sent"), 15))
        # expire logs each removal after it (through master): wait.
        for who, folder in ((BOB, "INBOX"), (BOB, "Kept"),
                            (ALICE, "Sent")):
            self.assertTrue(self.inst.wait_log(
                rf"mailbox={re.escape(who)}, folder={folder}, uid=1, "
                rf"reason=expires"), self.inst.log()[-2000:])
        self.assertTrue(wait_for(lambda: not self.due_entries(), 5))

    def test_concurrent_deliveries(self):
        """Many local processes record expiries at once: every message
        gets its own entry, and every one goes."""
        import threading
        now = int(time.time())
        exp = f"Expires: {rfc5322(now + 3600)}\r\n"

        def send(k):
            with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
                for i in range(5):
                    s.sendmail("alice@example.org", [BOB, ALICE],
                               message(f"burst {k}.{i}", extra=exp).encode())
        threads = [threading.Thread(target=send, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(wait_for(
            lambda: len(self.files()) == 20 and
            len(self.inst.mailbox_files(ALICE)) == 20, 30))
        self.assertEqual(len(self.due_entries()), 40)
        self.assertGreater(len(set(re.findall(r"local\[(\d+)\]",
                                              self.inst.log()))), 1)
        self.jump(7200)
        self.assertTrue(wait_for(
            lambda: not self.files() and
            not self.inst.mailbox_files(ALICE), 20), self.inst.log()[-2000:])
        self.assertTrue(wait_for(lambda: not self.due_entries(), 5))
        self.assertTrue(wait_for(lambda: len(re.findall(
            r"reason=expires", self.inst.log())) == 40, 5))

    def test_bad_and_past_values(self):
        self.deliver("garbage", extra="Expires: next tuesday\r\n")
        self.deliver("huge year",
                     extra="Expires: Fri, 1 Jan 99999999 00:00:00 +0000\r\n")
        self.deliver("folded control", extra="Expires: \x01\x02\r\n")
        log = self.inst.log()
        self.assertRegex(log, r'Expires: "next tuesday" ignored: not an '
                         r'RFC 5322 date-time')
        self.assertRegex(log, r'Expires: "Fri, 1 Jan 99999999 00:00:00 '
                         r'\+0000" ignored')
        self.assertRegex(log, r'Expires: "\\x01\\x02" ignored')
        self.assertEqual([n for n in self.files() if ",E=" in n], [])
        self.assertEqual(len(self.files()), 3)
        # Already past at delivery: delivered, then the next sweep.
        self.deliver("stale", extra="Expires: Sat, 1 Jan 2000 00:00:00 "
                     "+0000\r\n")
        self.assertTrue(self.inst.wait_log(r"expires=2000-01-01T00:00:00Z "
                                           r"\(already past"))
        self.assertTrue(wait_for(lambda: len(self.files()) == 3, 10),
                        self.inst.log()[-2000:])
        self.assertTrue(self.inst.wait_log(r"reason=expires, "
                                           r"expired=2000-01-01T00:00:00Z"))
        # The others outlive a jump of a year.
        self.jump(365 * DAY)
        time.sleep(2)
        self.assertEqual(len(self.files()), 3)


class SettingsTest(unittest.TestCase):
    def setUp(self):
        self.inst = Instance()
        self.addCleanup(self.inst.cleanup)

    def test_bad_retention_is_caught(self):
        """postern check names the line; expire itself refuses to run
        rather than delete by a guess."""
        self.inst.append("postern.conf",
                         "expire_folder_retention = Junk=30x\n")
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"postern\.conf:\d+: "
                         r"expire_folder_retention = Junk=30x: unknown "
                         r"time unit")
        self.inst.set_services(["expire unix expire - - 1 expire "
                                "-o process_min=1"])
        self.inst.start()
        self.assertTrue(self.inst.wait_log(
            r"expire\[\d+\]: fatal: expire_folder_retention = Junk=30x: "
            r"unknown time unit", 10), self.inst.log())


if __name__ == "__main__":
    unittest.main()
