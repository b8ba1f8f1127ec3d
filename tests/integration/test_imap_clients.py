"""imapd (issue 5) with real clients in batch mode: mbsync (isync) syncs a
mailbox of 1,000 messages both ways over implicit TLS, and mutt reads a
message over STARTTLS.  The clients trust the instance's own certificate
and nothing else."""
import os
import pty
import re
import select
import shutil
import smtplib
import subprocess
import tempfile
import threading
import time
import unittest

from harness import wait_for
from imaptest import BOB, ImapTest

N = 1000


def body(i):
    return f"Message number {i} of the sync test.\r\n" + "x" * 200 + "\r\n"


def maildir_files(d):
    out = []
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        if os.path.isdir(p):
            out += [os.path.join(p, n) for n in os.listdir(p)]
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


@unittest.skipUnless(shutil.which("mbsync"), "mbsync missing: apt-get "
                     "install isync (scripts/deps.sh test)")
class MbsyncTest(ImapTest):
    def deliver_many(self, n, sessions=4):
        """n messages to bob over SMTP, from several sessions at once."""
        def send(lo, hi):
            with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
                for i in range(lo, hi):
                    s.sendmail("alice@example.org", [BOB],
                               (f"From: alice@example.org\r\nTo: {BOB}\r\n"
                                f"Subject: sync {i}\r\n"
                                f"Message-ID: <sync.{i}@example.org>\r\n"
                                f"\r\n{body(i)}").encode())
        step = (n + sessions - 1) // sessions
        ts = [threading.Thread(target=send, args=(lo, min(lo + step, n)))
              for lo in range(0, n, step)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertTrue(wait_for(
            lambda: len(self.inst.mailbox_files(BOB)) >= n, 120, 0.2),
            "delivery of the test mailbox")

    def mbsync(self, rc):
        r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_mbsync_1000_messages_both_ways(self):
        self.deliver_many(N)
        top = tempfile.mkdtemp(prefix="postern-mbsync-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        near = os.path.join(top, "mail")
        os.makedirs(near)
        rc = os.path.join(top, "mbsyncrc")
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount postern
Host 127.0.0.1
Port {self.inst.imaps_port}
User {BOB}
PassCmd "echo \\"bob's secret\\""
SSLType IMAPS
CertificateFile {self.inst.dir}/tls/cert.pem
AuthMechs PLAIN

IMAPStore far
Account postern

MaildirStore near
Path {near}/
Inbox {near}/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns INBOX Pushed
Create Both
Expunge Both
SyncState *
""")
        # 1. Down: every message, byte for byte as delivered.
        self.mbsync(rc)
        got = maildir_files(os.path.join(near, "INBOX"))
        self.assertEqual(len(got), N)
        numbers = sorted(int(re.search(rb"Subject: sync (\d+)",
                                       read(p)).group(1)) for p in got)
        self.assertEqual(numbers, list(range(N)))
        for p in got[:50]:
            m = read(p)
            i = int(re.search(rb"Subject: sync (\d+)", m).group(1))
            # mbsync keeps Maildir files with LF line ends.
            self.assertTrue(m.endswith(body(i).replace("\r\n", "\n")
                                       .encode()), p)

        # 2. Up: a new folder of 1,000 messages, flags and deletions.
        pushed = os.path.join(near, "Pushed")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(pushed, sub))
        for i in range(N):
            with open(os.path.join(pushed, "new",
                                   f"{1700000000 + i}.{i}.near"), "wb") as f:
                f.write((f"From: bob@example.test\r\nSubject: up {i}\r\n"
                         f"\r\n{body(i)}").encode())
        inbox = sorted(got)
        for p in inbox[:10]:		# read here: \Seen there
            os.rename(p, re.sub(r"/new/", "/cur/", p).split(":2,")[0]
                      + ":2,S")
        gone = []
        for p in inbox[10:15]:		# deleted here: expunged there
            gone.append(int(re.search(rb"Subject: sync (\d+)",
                                      read(p)).group(1)))
            os.unlink(p)
        self.mbsync(rc)
        c = self.client(tls=True)
        typ, data = c.select("Pushed")
        self.assertEqual((typ, data), ("OK", [str(N).encode()]))
        typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] "
                            "BODY.PEEK[TEXT])")
        subjects, texts = {}, {}
        for d in data:
            if isinstance(d, tuple):
                if b"HEADER.FIELDS" in d[0]:
                    last = int(re.search(rb"up (\d+)", d[1]).group(1))
                    subjects[last] = True
                else:
                    texts[last] = d[1]
        self.assertEqual(sorted(subjects), list(range(N)))
        for i in range(0, N, 97):
            self.assertEqual(texts[i], body(i).encode())
        typ, data = c.select("INBOX")
        self.assertEqual(data, [str(N - 5).encode()])
        self.assertEqual(len(c.search(None, "SEEN")[1][0].split()), 10)
        for i in gone:
            self.assertEqual(c.search(None, "HEADER", "Message-ID",
                                      f'"<sync.{i}@"')[1], [b""])
        c.logout()

        # 3. Changes on the server come back down; a rerun is quiet.
        c = self.client(tls=True)
        c.select("INBOX")
        c.store("1", "+FLAGS", "\\Flagged")
        c.logout()
        self.mbsync(rc)
        flagged = [p for p in maildir_files(os.path.join(near, "INBOX"))
                   if re.search(r":2,[A-Z]*F", p)]
        self.assertEqual(len(flagged), 1)
        self.assertEqual(len(maildir_files(os.path.join(near, "INBOX"))),
                         N - 5)
        r = self.mbsync(rc)
        self.assertNotRegex(r.stdout + r.stderr, r"(?i)error|warning")


@unittest.skipUnless(shutil.which("mutt"), "mutt missing: apt-get install "
                     "mutt (scripts/deps.sh test)")
class MuttTest(ImapTest):
    def test_mutt_reads_a_message(self):
        self.deliver("for mutt", "Grüße from the mutt test.\r\n",
                     extra="MIME-Version: 1.0\r\nContent-Type: text/plain; "
                     "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
        top = tempfile.mkdtemp(prefix="postern-mutt-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        out = os.path.join(top, "out")
        rc = os.path.join(top, "muttrc")
        with open(rc, "w") as f:
            f.write(f"""set folder="imap://127.0.0.1:{self.inst.imap_port}/"
set spoolfile="+INBOX"
set imap_user="{BOB}"
set imap_pass="bob's secret"
set ssl_starttls=yes
set ssl_force_tls=yes
set certificate_file="{self.inst.dir}/tls/cert.pem"
set ssl_verify_host=no
set header_cache=""
set message_cachedir=""
set wait_key=no
set quit=yes
set pipe_decode=yes
set charset="utf-8"
set record=""
set mail_check_stats=no
push "<pipe-message>cat > {out}<enter><quit>"
""")
        env = dict(os.environ, TERM="xterm", HOME=top, LANG="C.UTF-8",
                   MAIL="", MAILCHECK="0")
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe("mutt", ["mutt", "-n", "-F", rc], env)
        screen = b""
        deadline = time.monotonic() + 60
        status = None
        try:
            while time.monotonic() < deadline:
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:
                        pass
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
        finally:
            if status is None:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            os.close(fd)
        self.assertEqual(status, 0, screen[-2000:])
        text = read(out).decode()
        self.assertIn("Subject: for mutt", text)
        self.assertIn("Grüße from the mutt test.", text)


if __name__ == "__main__":
    unittest.main()
