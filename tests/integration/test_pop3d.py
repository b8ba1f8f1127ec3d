"""pop3d against a running instance: Python's poplib and raw lines for the
exact bytes.  Messages come in over SMTP and are stored encrypted; what
POP3 returns is checked against what was sent, and what the store holds
after UPDATE (or after a dropped connection) against what should be."""
import poplib
import re
import socket
import time
import unittest

from harness import client_tls
from imaptest import ALICE, BOB, ImapTest


class Line:
    """A raw POP3 client: exact lines and multi-line responses."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            self.starttls()
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def starttls(self):
        ctx = client_tls()
        self.sock = ctx.wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")

    def raw_line(self):
        return self.f.readline()

    def line(self):
        return self.raw_line().decode("utf-8", "replace").rstrip("\r\n")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else
                          data.encode() + b"\r\n")

    def cmd(self, text):
        self.send(text)
        return self.line()

    def multi(self):
        """The raw lines of a multi-line body, up to the lone ".\\r\\n"."""
        out = []
        while True:
            l = self.raw_line()
            if l in (b".\r\n", b""):
                return out
            out.append(l)

    def close(self):
        self.f.close()
        self.sock.close()


def unstuff(lines):
    """The message from a RETR body: dot-stuffing undone, CRLF kept."""
    return b"".join(l[1:] if l.startswith(b".") else l for l in lines)


# Content that POP3 must carry exactly: long lines, lines starting with
# dots (one, two, a lone dot), 8-bit text.
TRICKY = ("... three dots\r\n" + ".\r\n" + "..\r\n" + "x" * 990 + "\r\n"
          + "Grüße aus Köln, ½ €\r\n" + "last line\r\n")


class Pop3Test(ImapTest):
    pop3d_opts = ""

    def line(self, tls=False):
        c = Line(self.inst.pop3s_port if tls else self.inst.pop3_port, tls)
        self.addCleanup(c.close)
        return c

    def login(self, c, user=BOB):
        self.assertTrue(c.cmd(f"USER {user}").startswith("+OK"))
        r = c.cmd("PASS " + self.inst.passwords[user])
        self.assertTrue(r.startswith("+OK"), r)
        return r

    def deliver_many(self, n, to=BOB, body="Hello there.\r\n"):
        import smtplib
        from imaptest import message
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            for i in range(n):
                s.sendmail("alice@example.org", [to],
                           message(f"msg {i}", body).encode())
        self.inst.wait_mail(to, n)


class SessionTest(Pop3Test):
    def test_capa_before_and_after_login(self):
        c = self.line()
        self.assertTrue(c.greeting.startswith("+OK "))
        self.assertNotIn("<", c.greeting)  # no APOP timestamp
        self.assertEqual(c.cmd("CAPA"), "+OK Capability list follows")
        caps = [l.decode().strip() for l in c.multi()]
        for cap in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                    "PIPELINING", "USER", "SASL PLAIN", "STLS",
                    "EXPIRE NEVER", "IMPLEMENTATION Postern"):
            self.assertIn(cap, caps)
        self.assertFalse(any(x.startswith("LOGIN-DELAY") for x in caps))
        self.login(c)
        c.send("CAPA")
        self.assertTrue(c.line().startswith("+OK"))
        caps = [l.decode().strip() for l in c.multi()]
        self.assertIn("TOP", caps)
        self.assertNotIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))

    def test_sizes_are_the_octets_retr_sends(self):
        self.deliver("tricky", body=TRICKY)
        self.deliver("plain")
        sent = self.inst.mailbox(BOB)
        c = self.line()
        self.login(c)
        st = c.cmd("STAT").split()
        self.assertEqual(st[:2], ["+OK", "2"])
        c.send("LIST")
        self.assertTrue(c.line().startswith("+OK"))
        listing = [l.decode().split() for l in c.multi()]
        self.assertEqual([x[0] for x in listing], ["1", "2"])
        sizes = [int(x[1]) for x in listing]
        self.assertEqual(int(st[2]), sum(sizes))
        got = []
        for i, size in enumerate(sizes, 1):
            self.assertEqual(c.cmd(f"LIST {i}"), f"+OK {i} {size}")
            self.assertEqual(c.cmd(f"RETR {i}"), f"+OK {size} octets")
            lines = c.multi()
            body = unstuff(lines)
            self.assertEqual(len(body), size)
            got.append(body)
        # What was stored, byte for byte: the dots were stuffed on the
        # wire and the 8-bit text is intact.
        self.assertEqual(sorted(got), sorted(sent))
        tricky = [g for g in got if b"three dots" in g][0]
        self.assertIn("Grüße aus Köln".encode(), tricky)
        self.assertIn(b"\r\n" + b"x" * 990 + b"\r\n", tricky)
        # On the wire every line that starts with "." has another.
        n = 1 if b"three dots" in got[0] else 2
        c.send(f"RETR {n}")
        c.line()
        raw = c.multi()
        self.assertIn(b".... three dots\r\n", raw)
        self.assertIn(b"..\r\n", raw)
        self.assertIn(b"...\r\n", raw)
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))

    def test_message_appended_with_bare_lf(self):
        # A client that APPENDs with Unix line ends: the store keeps CRLF,
        # so POP3's sizes and lines are still exact.
        i = self.client()
        msg = b"From: a@example.org\nSubject: lf only\n\nline 1\n.dot\n"
        self.assertEqual(i.append("INBOX", None, None, msg)[0], "OK")
        i.select("INBOX")
        size = int(re.search(rb"RFC822.SIZE (\d+)",
                             i.fetch("1", "(RFC822.SIZE)")[1][0]).group(1))
        want = msg.replace(b"\n", b"\r\n")
        self.assertEqual(size, len(want))
        c = self.line()
        self.login(c)
        self.assertEqual(c.cmd("LIST 1"), f"+OK 1 {size}")
        c.send("RETR 1")
        c.line()
        self.assertEqual(unstuff(c.multi()), want)

    def test_poplib_top_uidl_noop(self):
        self.deliver("one", body="b1\r\nb2\r\nb3\r\n")
        p = self.inst.pop3(BOB)
        self.addCleanup(p.close)
        resp, lines, _ = p.top(1, 2)
        self.assertTrue(resp.startswith(b"+OK"))
        i = lines.index(b"")
        self.assertIn(b"Subject: one", lines[:i])
        self.assertEqual(lines[i + 1:], [b"b1", b"b2"])
        resp, lines, _ = p.top(1, 0)
        self.assertEqual(lines[-1], b"")
        self.assertIn(b"Subject: one", lines)
        uidl = p.uidl()[1][0].split()
        self.assertEqual(uidl[0], b"1")
        self.assertRegex(uidl[1], rb"^\d+\.\d+$")
        self.assertEqual(p.uidl(1).split()[2], uidl[1])
        self.assertTrue(p.noop().startswith(b"+OK"))
        self.assertTrue(p.quit().startswith(b"+OK"))

    def test_uidl_stable_across_sessions_and_restart(self):
        self.deliver_many(3)
        p = self.inst.pop3(BOB)
        first = p.uidl()[1]
        p.dele(1)
        p.quit()
        self.deliver("later")
        self.inst.stop()
        self.inst.start()
        p = self.inst.pop3(BOB)
        again = p.uidl()[1]
        p.quit()
        ids = [l.split()[1] for l in first]
        ids2 = [l.split()[1] for l in again]
        # The deleted one is gone, the others keep their ids, the new
        # one has an id never seen.
        self.assertEqual(ids2[:2], ids[1:])
        self.assertEqual(len(ids2), 3)
        self.assertNotIn(ids2[2], ids)

    def test_pipelining_answers_in_order(self):
        self.deliver("piped")
        c = self.line()
        pw = self.inst.passwords[BOB]
        c.send(f"USER {BOB}\r\nPASS {pw}\r\nSTAT\r\nLIST 1\r\nRETR 1\r\n"
               "NOOP\r\nQUIT\r\n".encode())
        self.assertTrue(c.line().startswith("+OK"))       # USER
        self.assertTrue(c.line().startswith("+OK Logged in"))
        self.assertTrue(c.line().startswith("+OK 1 "))    # STAT
        size = c.line().split()[2]                        # LIST 1
        self.assertEqual(c.line(), f"+OK {size} octets")  # RETR
        self.assertIn(b"Subject: piped\r\n", b"".join(c.multi()))
        self.assertEqual(c.line(), "+OK")                 # NOOP
        self.assertTrue(c.line().startswith("+OK"))       # QUIT
        self.assertEqual(c.raw_line(), b"")

    def test_large_message_slow_reader(self):
        # Several AEAD chunks; the client reads slowly, the server keeps
        # a bounded buffer and the bytes arrive intact.
        body = "".join(f"line {i:06d} " + "z" * 60 + "\r\n"
                       for i in range(30000))
        self.deliver("big", body=body)
        c = self.line()
        self.login(c)
        size = int(c.cmd("LIST 1").split()[2])
        self.assertGreater(size, 2_000_000)
        c.send("RETR 1")
        time.sleep(1)
        self.assertEqual(c.line(), f"+OK {size} octets")
        got = unstuff(c.multi())
        self.assertEqual(len(got), size)
        self.assertTrue(got.endswith(body.encode()))


class UpdateTest(Pop3Test):
    def test_dele_takes_effect_only_at_quit(self):
        self.deliver_many(3)
        files = self.inst.mailbox_files(BOB)
        self.assertEqual(len(files), 3)
        p = self.inst.pop3(BOB)
        # Deliveries may land in any order: learn which is which.
        subject = {}
        for n in (1, 2, 3):
            head = b"\r\n".join(p.top(n, 0)[1])
            subject[n] = re.search(rb"Subject: (msg \d)", head).group(1)
        p.dele(2)
        # DELE hides the message in this session only.
        with self.assertRaises(poplib.error_proto) as e:
            p.retr(2)
        self.assertIn(b"already deleted", e.exception.args[0])
        self.assertEqual(p.stat()[0], 2)
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 3)
        p.retr(1)
        p.quit()
        left = self.inst.mailbox(BOB)
        self.assertEqual(len(left), 2)
        self.assertFalse(any(b"Subject: " + subject[2] + b"\r\n" in m
                             for m in left))
        # RETR marked the retrieved one \Seen for IMAP; TOP did not.
        i = self.client()
        i.select("INBOX")
        typ, data = i.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                            "(SUBJECT)])")
        seen = [x for x in data if isinstance(x, tuple) and
                subject[1] in x[1]]
        self.assertIn(b"\\Seen", seen[0][0])
        other = [x for x in data if isinstance(x, tuple) and
                 subject[3] in x[1]]
        self.assertNotIn(b"\\Seen", other[0][0])

    def test_dropped_connection_deletes_nothing(self):
        self.deliver_many(2)
        c = self.line()
        self.login(c)
        self.assertTrue(c.cmd("DELE 1").startswith("+OK"))
        self.assertTrue(c.cmd("DELE 2").startswith("+OK"))
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        self.inst.wait_log(r"disconnect from \[127\.0\.0\.1\] user=" + BOB)
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 2)
        # And the lock was let go with the connection.
        p = self.inst.pop3(BOB)
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_rset_undoes_dele(self):
        self.deliver_many(2)
        p = self.inst.pop3(BOB)
        p.dele(1)
        p.dele(2)
        self.assertEqual(p.stat()[0], 0)
        self.assertTrue(p.rset().startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 2)

    def test_lock_in_use_and_imap_coexists(self):
        self.deliver_many(2)
        p = self.inst.pop3(BOB)
        c = self.line()
        c.cmd(f"USER {BOB}")
        r = c.cmd("PASS " + self.inst.passwords[BOB])
        self.assertTrue(r.startswith("-ERR [IN-USE]"), r)
        # Another user is not locked out; nor is IMAP.
        self.deliver("for alice", to=ALICE)
        q = self.inst.pop3(ALICE)
        self.assertEqual(q.stat()[0], 1)
        q.quit()
        i = self.client()
        self.assertEqual(i.select("INBOX")[1][0], b"2")
        p.dele(1)
        p.quit()
        i.noop()
        self.assertEqual(i.select("INBOX")[1][0], b"1")
        # Free again after QUIT.
        p = self.inst.pop3(BOB)
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_message_expunged_over_imap_meanwhile(self):
        self.deliver_many(2)
        p = self.inst.pop3(BOB)
        i = self.client()
        i.select("INBOX")
        i.store("1", "+FLAGS", "\\Deleted")
        i.expunge()
        with self.assertRaises(poplib.error_proto) as e:
            p.retr(1)
        self.assertIn(b"deleted by another session", e.exception.args[0])
        p.dele(1)
        p.quit()        # nothing left to do for it: no error
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 1)


class AuthTest(Pop3Test):
    def test_auth_plain_with_and_without_initial_response(self):
        import base64
        pw = self.inst.passwords[BOB]
        tok = base64.b64encode(f"\0{BOB}\0{pw}".encode()).decode()
        c = self.line()
        self.assertTrue(c.cmd(f"AUTH PLAIN {tok}").startswith("+OK"))
        c.close()
        c = self.line()
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertTrue(c.cmd(tok).startswith("+OK"))
        c = self.line()
        c.send("AUTH")
        self.assertTrue(c.line().startswith("+OK"))
        self.assertEqual(c.multi(), [b"PLAIN\r\n"])
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertEqual(c.cmd("*"), "-ERR Authentication cancelled")
        self.assertTrue(c.cmd("AUTH CRAM-MD5").startswith("-ERR"))
        bad = base64.b64encode(f"\0{BOB}\0wrong".encode()).decode()
        self.assertEqual(c.cmd(f"AUTH PLAIN {bad}"),
                         "-ERR [AUTH] Authentication failed")

    def test_wrong_password_and_apop(self):
        c = self.line()
        c.cmd(f"USER {BOB}")
        self.assertEqual(c.cmd("PASS nope"),
                         "-ERR [AUTH] Authentication failed")
        self.assertTrue(c.cmd("PASS x").startswith("-ERR USER first"))
        r = c.cmd(f"APOP {BOB} 0123456789abcdef0123456789abcdef")
        self.assertTrue(r.startswith("-ERR APOP is not offered"), r)
        self.login(c)

    def test_implicit_tls_995(self):
        self.deliver("over tls")
        p = self.inst.pop3(BOB, tls=True)
        self.assertIn(b"Subject: over tls", b"\r\n".join(p.retr(1)[1]))
        p.quit()


class StlsTest(Pop3Test):
    pop3d_opts = "-o pop3d_cleartext_login=no"

    def test_login_refused_before_stls(self):
        c = self.line()
        c.send("CAPA")
        c.line()
        caps = [l.decode().strip() for l in c.multi()]
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertNotIn("SASL PLAIN", caps)
        self.assertTrue(c.cmd(f"USER {BOB}").startswith("-ERR [AUTH]"))
        self.assertTrue(c.cmd("AUTH PLAIN AGJvYgBi").startswith(
            "-ERR [AUTH]"))
        # STLS; a command pipelined behind it is dropped.
        c.send("STLS\r\nNOOP\r\n".encode())
        self.assertEqual(c.line(), "+OK Begin TLS negotiation")
        c.starttls()
        c.send("CAPA")
        self.assertTrue(c.line().startswith("+OK"))
        caps = [l.decode().strip() for l in c.multi()]
        self.assertIn("USER", caps)
        self.assertNotIn("STLS", caps)
        self.login(c)
        self.assertTrue(c.cmd("STAT").startswith("+OK 0 0"))

    def test_poplib_stls(self):
        p = poplib.POP3("127.0.0.1", self.inst.pop3_port, timeout=10)
        ctx = client_tls()
        p.stls(ctx)
        p.user(BOB)
        p.pass_(self.inst.passwords[BOB])
        self.assertEqual(p.stat(), (0, 0))
        p.quit()


class LoginDelayTest(Pop3Test):
    pop3d_opts = "-o pop3d_login_delay=60s"

    def test_second_login_within_the_delay_is_refused(self):
        c = self.line()
        c.send("CAPA")
        c.line()
        self.assertIn(b"LOGIN-DELAY 60\r\n", c.multi())
        self.login(c)
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        c = self.line()
        c.cmd(f"USER {BOB}")
        r = c.cmd("PASS " + self.inst.passwords[BOB])
        self.assertEqual(r, "-ERR [LOGIN-DELAY] Wait 60 seconds between "
                         "logins")
        # Another user is not held back.
        self.login(c, ALICE)


class AuthdGoneTest(Pop3Test):
    def test_sys_temp_when_authd_cannot_be_reached(self):
        with open(f"{self.inst.dir}/master.conf") as f:
            conf = [l for l in f if not l.startswith("authd ")]
        self.inst.write("master.conf", "".join(conf))
        self.inst.reload()
        self.inst.wait_log(r"authd.*(stopped|retired|removed)", 5)
        time.sleep(0.5)
        c = self.line()
        c.cmd(f"USER {BOB}")
        r = c.cmd("PASS " + self.inst.passwords[BOB])
        self.assertTrue(r.startswith("-ERR [SYS/TEMP] Authentication is "
                                     "temporarily unavailable"), r)
        # The session goes on: the client may try again.
        self.assertTrue(c.cmd("CAPA").startswith("+OK"))


class BadInputTest(Pop3Test):
    pop3d_opts = "-o pop3d_bad_command_limit=5"

    def test_errors_and_limit(self):
        c = self.line()
        self.assertEqual(c.cmd("STAT"), "-ERR Log in first")
        self.assertEqual(c.cmd("FOO"), "-ERR Unknown command")
        self.assertTrue(c.cmd("USER " + "a" * 2000).startswith(
            "-ERR Line too long"))
        self.assertEqual(c.cmd("NO\0OP"), "-ERR NUL in command")
        # A good command resets the count.
        self.assertTrue(c.cmd("CAPA").startswith("+OK"))
        c.multi()
        self.login(c)
        self.assertEqual(c.cmd("USER x"), "-ERR Already logged in")
        self.assertEqual(c.cmd("RETR 0"), "-ERR Bad message number")
        self.assertEqual(c.cmd("RETR x"), "-ERR Bad message number")
        self.assertTrue(c.cmd("RETR 99").startswith("-ERR No such message"))
        self.assertTrue(c.cmd("TOP 1").startswith("-ERR TOP needs"))
        self.assertEqual(c.cmd("STAT now"), "-ERR STAT takes no arguments")
        self.assertEqual(c.cmd("BAR"), "-ERR Unknown command")
        self.assertEqual(c.cmd("BAZ"), "-ERR Unknown command")
        self.assertEqual(c.cmd("QUX"), "-ERR Unknown command")
        self.assertEqual(c.line(), "-ERR Too many bad commands, closing")
        self.assertEqual(c.raw_line(), b"")


class TimeoutTest(Pop3Test):
    pop3d_opts = "-o pop3d_timeout=10s"

    def test_idle_session_is_closed_without_update(self):
        self.deliver("kept")
        c = self.line()
        self.login(c)
        self.assertTrue(c.cmd("DELE 1").startswith("+OK"))
        c.sock.settimeout(30)
        start = time.monotonic()
        self.assertEqual(c.raw_line(), b"")
        self.assertGreater(time.monotonic() - start, 8)
        self.assertEqual(len(self.inst.mailbox_files(BOB)), 1)


if __name__ == "__main__":
    unittest.main()
