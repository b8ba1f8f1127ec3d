"""A real POP3 client against pop3d: fetchmail (Debian) downloads a
mailbox of 500 messages over TLS into a local mbox file and deletes them
on the server."""
import os
import shutil
import subprocess
import tempfile
import unittest

from imaptest import BOB
from test_pop3d import Pop3Test

MESSAGES = 500


class FetchmailTest(Pop3Test):
    def test_fetchmail_downloads_500_messages(self):
        self.deliver_many(MESSAGES, body="Line one.\r\n.dotted line\r\n")
        work = tempfile.mkdtemp(prefix="postern-fetchmail-")
        self.addCleanup(shutil.rmtree, work, True)
        mbox = os.path.join(work, "mbox")
        mda = os.path.join(work, "deliver")
        with open(mda, "w") as f:
            # One mbox entry per message (fetchmail hands each on stdin).
            f.write("#!/bin/sh\n{ echo 'From fetchmail Tue Dec  1 "
                    "00:00:00 2026'; sed 's/^From />From /'; echo; } "
                    f">> '{mbox}'\n")
        os.chmod(mda, 0o755)
        rc = os.path.join(work, "fetchmailrc")
        with open(rc, "w") as f:
            f.write("set no bouncemail\n"
                    f"poll 127.0.0.1 protocol POP3 port "
                    f"{self.inst.pop3s_port} timeout 60\n"
                    f"  user \"{BOB}\" password "
                    f"\"{self.inst.passwords[BOB]}\"\n"
                    f"  ssl no sslcertck mda \"{mda}\"\n")
        os.chmod(rc, 0o600)
        env = dict(os.environ, FETCHMAILHOME=work, HOME=work)
        r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog",
                            "--pidfile", os.path.join(work, "pid")],
                           env=env, capture_output=True, text=True,
                           timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(mbox, "rb") as f:
            got = f.read()
        self.assertEqual(got.count(b"\nFrom fetchmail "), MESSAGES - 1)
        for i in range(MESSAGES):
            self.assertIn(f"Subject: msg {i}\n".encode(), got)
        # Dot-stuffing was undone by the client: the line is as sent.
        self.assertEqual(got.count(b"\n.dotted line\n"), MESSAGES)
        # fetchmail deleted what it fetched (UPDATE at QUIT).
        self.assertEqual(self.inst.mailbox_files(BOB), [])


if __name__ == "__main__":
    unittest.main()
