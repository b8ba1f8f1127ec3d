"""imapd (issue 5): IMAP4rev1/rev2 over the encrypted store, with Python's
imaplib and a raw socket client for the bytes on the wire."""
import imaplib
import os
import re
import signal
import smtplib
import time
import unittest

from harness import client_tls, wait_for

from imaptest import ALICE, BOB, ImapTest, message


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


class LoginTest(ImapTest):
    def test_greeting_and_capabilities(self):
        r = self.raw()
        self.assertRegex(r.greeting, r"^\* OK \[CAPABILITY IMAP4rev1 "
                         r"IMAP4rev2 STARTTLS AUTH=PLAIN AUTH=LOGIN")
        caps = r.cmd("a", "CAPABILITY")
        self.assertIn("SASL-IR", caps[0])
        self.assertEqual(caps[-1], "a OK CAPABILITY completed")

    def test_login_and_wrong_password(self):
        r = self.raw()
        out = r.cmd("a", 'LOGIN bob@example.test "not it"')
        self.assertEqual(out[-1], "a NO [AUTHENTICATIONFAILED] "
                         "Authentication failed")
        out = r.cmd("b", 'LOGIN bob@example.test "bob\'s secret"')
        self.assertRegex(out[-1], r"^b OK \[CAPABILITY IMAP4rev1 .*"
                         r"CONDSTORE.*\] Logged in")
        # imapd logs after it answers: wait for the line.
        self.assertTrue(self.inst.wait_log(
            r"login: user=bob@example\.test tls=no"), self.inst.log())

    def test_authenticate_plain_login_and_sasl_ir(self):
        import base64
        plain = base64.b64encode(b"\0bob@example.test\0bob's secret")
        r = self.raw()
        out = r.cmd("a", "AUTHENTICATE PLAIN " + plain.decode())
        self.assertTrue(out[-1].startswith("a OK"), out)
        r2 = self.raw()
        r2.send("b AUTHENTICATE PLAIN")
        self.assertEqual(r2.line(), "+ ")
        r2.send(plain.decode())
        self.assertTrue(r2.until("b")[-1].startswith("b OK"))
        r3 = self.raw()
        r3.send("c AUTHENTICATE LOGIN")
        self.assertEqual(r3.line(), "+ VXNlcm5hbWU6")
        r3.send(base64.b64encode(b"alice@example.test").decode())
        self.assertEqual(r3.line(), "+ UGFzc3dvcmQ6")
        r3.send(base64.b64encode(b"alice pw").decode())
        self.assertTrue(r3.until("c")[-1].startswith("c OK"))
        r4 = self.raw()
        r4.send("d AUTHENTICATE PLAIN")
        r4.line()
        r4.send("*")
        self.assertEqual(r4.line(), "d BAD Authentication cancelled")

    def test_imaplib_over_implicit_tls(self):
        c = self.client(tls=True)
        typ, data = c.list()
        self.assertEqual(typ, "OK")

    def test_special_use_folders_at_first_login(self):
        c = self.client()
        typ, data = c.list()
        lines = [d.decode() for d in data]
        for name, use in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"),
                          ("Junk", "\\Junk"), ("Trash", "\\Trash"),
                          ("Archive", "\\Archive")):
            self.assertTrue(any(l.endswith(f'"/" {name}') and use in l
                                for l in lines), (name, lines))
        self.assertTrue(lines[0].endswith('"/" INBOX'), lines)
        # Deleted once, it stays deleted.
        self.assertEqual(c.delete("Archive")[0], "OK")
        c.logout()
        c = self.client()
        self.assertFalse(any(b"Archive" in d for d in c.list()[1]))

    def test_wrong_state_and_bad_commands(self):
        r = self.raw()
        self.assertEqual(r.cmd("a", "SELECT INBOX")[-1],
                         "a BAD SELECT is not allowed before logging in")
        self.assertEqual(r.cmd("b", "FROBNICATE")[-1],
                         "b BAD Unknown command FROBNICATE")
        self.assertRegex(r.cmd("c", 'LOGIN "unterminated')[-1], r"^c BAD ")
        out = r.cmd("*", "NOOP")
        self.assertRegex(out[-1], r"^\* BAD ")
        r.send(b"d NOOP\0x\r\n")
        self.assertRegex(r.until("d")[-1], r"^d BAD ")
        # The session goes on.
        self.assertEqual(r.cmd("e", "NOOP")[-1], "e OK NOOP completed")


class CleartextTest(ImapTest):
    imapd_opts = "-o imapd_cleartext_login=no"

    def test_logindisabled_until_starttls(self):
        r = self.raw()
        self.assertIn("LOGINDISABLED", r.greeting)
        self.assertNotIn("AUTH=PLAIN", r.greeting)
        out = r.cmd("a", 'LOGIN bob@example.test "bob\'s secret"')
        self.assertRegex(out[-1], r"^a NO \[PRIVACYREQUIRED\]")
        c = imaplib.IMAP4("127.0.0.1", self.inst.imap_port, timeout=10)
        self.addCleanup(self.logout, c)
        ctx = client_tls()
        c.starttls(ssl_context=ctx)
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        self.assertEqual(c.login(BOB, "bob's secret")[0], "OK")

    def test_starttls_drops_pipelined_commands(self):
        r = self.raw()
        # A command sent in the clear after STARTTLS must not run inside
        # the TLS session (the STARTTLS injection attack).
        r.send(b"a STARTTLS\r\nb LOGIN bob@example.test x\r\n")
        self.assertEqual(r.line(), "a OK Begin TLS negotiation now")
        ctx = client_tls()
        s = ctx.wrap_socket(r.sock)
        s.sendall(b"c NOOP\r\n")
        f = s.makefile("rb")
        self.assertEqual(f.readline(), b"c OK NOOP completed\r\n")
        s.close()


class MailTest(ImapTest):
    def test_fetch_decrypted_message(self):
        self.deliver("first one", "Body line one.\r\n.dot line\r\n")
        c = self.client()
        typ, data = c.select("INBOX")
        self.assertEqual(data, [b"1"])
        typ, data = c.fetch("1", "(RFC822.SIZE BODY.PEEK[] FLAGS UID)")
        meta, body = data[0]
        size = int(re.search(rb"RFC822.SIZE (\d+)", meta).group(1))
        self.assertEqual(size, len(body))
        self.assertIn(b"Subject: first one\r\n", body)
        self.assertIn(b"\r\n.dot line\r\n", body)
        self.assertNotIn(b"\\Seen", meta)
        stored = self.inst.mailbox(BOB)[0]
        self.assertEqual(body, stored)
        typ, data = c.fetch("1", "(ENVELOPE BODYSTRUCTURE)")
        self.assertIn(b'"first one"', data[0])
        self.assertIn(b'("Alice" NIL "alice" "example.org")', data[0])
        self.assertIn(b'bodystructure ("text" "plain"', data[0].lower())
        typ, data = c.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: first one\r\n\r\n")
        self.assertIn(b"FLAGS (\\Seen)", data[1])
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT]<5.9>)")
        self.assertIn(b"BODY[TEXT]<5>", data[0][0])
        self.assertEqual(data[0][1], b"line one.")

    def test_flags_seen_by_another_session(self):
        self.deliver("for flags")
        a = self.client()
        b = self.client()
        a.select("INBOX")
        b.select("INBOX")
        typ, data = a.store("1", "+FLAGS", "(\\Flagged $Important)")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$Important", data[0])
        typ, data = b.noop()
        fetches = b.untagged_responses.get("FETCH", [])
        self.assertTrue(any(b"\\Flagged" in f and b"$Important" in f
                            for f in fetches), fetches)
        # Persisted: a new session sees them.
        c = self.client()
        c.select("INBOX")
        self.assertIn(b"$Important", c.fetch("1", "FLAGS")[1][0])

    def test_expunge_and_uids_never_reused(self):
        for i in range(3):
            self.deliver(f"number {i}")
        a = self.client()
        b = self.client()
        a.select("INBOX")
        b.select("INBOX")
        typ, data = a.uid("SEARCH", "ALL")
        uids = [int(u) for u in data[0].split()]
        self.assertEqual(len(uids), 3)
        a.store("3", "+FLAGS", "\\Deleted")
        typ, data = a.expunge()
        self.assertEqual(data, [b"3"])
        b.noop()
        self.assertEqual(b.untagged_responses.get("EXPUNGE"), [b"3"])
        self.deliver("number 3")
        typ, data = a.noop()
        typ, data = a.uid("SEARCH", "ALL")
        new = [int(u) for u in data[0].split()]
        self.assertEqual(new[:2], uids[:2])
        self.assertGreater(new[2], uids[2])
        typ, data = a.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY "
                             "UNSEEN)")
        self.assertRegex(data[0].decode(), r"MESSAGES 3 UIDNEXT "
                         rf"{new[2] + 1} UIDVALIDITY \d+ UNSEEN 3")

    def test_idle_hears_delivery_within_a_second(self):
        c = self.client()
        c.select("INBOX")
        r = self.raw()
        r.cmd("a", 'LOGIN bob@example.test "bob\'s secret"')
        r.cmd("b", "SELECT INBOX")
        r.send("c IDLE")
        self.assertEqual(r.line(), "+ idling")
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.sendmail("alice@example.org", [BOB],
                       message("idle news").encode())
            done = time.monotonic()
        self.inst.wait_message(BOB, b"idle news")
        stored = time.monotonic()
        line = r.line()
        heard = time.monotonic()
        self.assertEqual(line, "* 1 EXISTS")
        self.assertLess(heard - stored, 1.0)
        r.send("DONE")
        self.assertEqual(r.until("c")[-1], "c OK IDLE terminated")

    def test_index_compaction_under_sessions(self):
        """Enough flag changes compact the folder's index; a session in
        another imapd process, in IDLE, goes on hearing every change."""
        self.deliver("compact me")
        self.deliver("and me")
        r = self.raw()
        r.cmd("a", 'LOGIN bob@example.test "bob\'s secret"')
        r.cmd("b", "SELECT INBOX")
        r.send("c IDLE")
        self.assertEqual(r.line(), "+ idling")
        log = os.path.join(self.inst.dir, "store", "example.test", "bob",
                           "postern-index")
        w = self.raw(tls=True)		# another service: another process
        w.cmd("a", 'LOGIN bob@example.test "bob\'s secret"')
        w.cmd("b", "SELECT INBOX")
        inode = os.stat(log).st_ino
        for i in range(1200):
            w.send(f"s{i} STORE 1 {'+' if i % 2 else '-'}FLAGS.SILENT "
                   "(\\Answered)")
        for i in range(1200):
            self.assertRegex(w.until(f"s{i}")[-1], rf"^s{i} OK")
        self.assertNotEqual(os.stat(log).st_ino, inode, "not compacted")
        self.assertLess(os.path.getsize(log), 8000)   # 24 KB before
        # What IDLE reported during the storm ends with DONE; then IDLE
        # again across the new file.
        r.send("DONE")
        self.assertRegex(r.until("c")[-1], "^c OK")
        r.send("c IDLE")
        self.assertEqual(r.line(), "+ idling")
        w.cmd("t", "STORE 2 +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(r.line(), "* 2 FETCH (FLAGS (\\Flagged))")
        self.deliver("after compaction")
        self.assertEqual(r.line(), "* 3 EXISTS")
        r.send("DONE")
        self.assertRegex(r.until("c")[-1], "^c OK")
        c = self.client()
        c.select("INBOX")
        self.assertEqual(c.fetch("1:3", "FLAGS")[1],
                         [b"1 (FLAGS (\\Answered))",
                          b"2 (FLAGS (\\Flagged))",
                          b"3 (FLAGS ())"])  # \\Recent went to r

    def test_append_copy_move(self):
        c = self.client()
        msg = message("appended", "Appended body text.\r\n").encode()
        typ, data = c.append("Drafts", "(\\Draft)",
                             '"24-Nov-2026 10:00:00 +0000"', msg)
        self.assertEqual(typ, "OK")
        m = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
        self.assertIsNotNone(m, data)
        # Sealed on disk: the text is nowhere in the file.
        files = self.inst.mailbox_files(BOB, "Drafts")
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"PSTRNMSG"))
        self.assertNotIn(b"Appended body", raw)
        c.select("Drafts")
        typ, data = c.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
        self.assertIn(b"\\Draft", data[0][0] + data[1])
        self.assertIn(b'INTERNALDATE "24-Nov-2026 10:00:00 +0000"',
                      data[0][0])
        self.assertEqual(data[0][1], msg)
        typ, data = c.copy("1", "Archive")
        self.assertIn(b"COPYUID", data[0])
        typ, data = c._simple_command("MOVE", "1", "Sent")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.untagged_responses.get("EXPUNGE"), [b"1"])
        for folder in ("Archive", "Sent"):
            c.select(folder)
            typ, data = c.fetch("1", "(FLAGS BODY.PEEK[])")
            self.assertEqual(data[0][1], msg)
            self.assertIn(b"\\Draft", data[0][0])
        typ, data = c.select("Drafts")
        self.assertEqual(data, [b"0"])
        typ, data = c.append("Nowhere", None, None, msg)
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])

    def test_create_rename_delete_subscribe(self):
        c = self.client()
        self.assertEqual(c.create("Lists/debian.devel")[0], "OK")
        self.assertEqual(c.create("Lists/debian.devel")[0], "NO")
        names = [d.decode() for d in c.list('""', "Lists/*")[1]]
        self.assertEqual(names, ['(\\HasNoChildren) "/" Lists/debian.devel'])
        names = [d.decode() for d in c.list('""', "%")[1]]
        self.assertIn('(\\HasChildren) "/" Lists', names)
        self.assertEqual(c.rename("Lists", "Mailing")[0], "OK")
        names = [d.decode() for d in c.list('""', "*")[1]]
        self.assertIn('(\\HasNoChildren) "/" Mailing/debian.devel', names)
        self.assertFalse(any("Lists" in n for n in names))
        self.assertEqual(c.subscribe("Mailing/debian.devel")[0], "OK")
        self.assertEqual(c.lsub('""', "*")[1],
                         [b'() "/" Mailing/debian.devel'])
        self.assertEqual(c.delete("Mailing/debian.devel")[0], "OK")
        self.assertEqual(c.delete("INBOX")[0], "NO")
        self.assertEqual(c.select("Mailing/debian.devel")[0], "NO")

    def test_search(self):
        self.deliver("apples", "We grow Äpfel and pears.\r\n")
        self.deliver("bananas", "Yellow fruit.\r\n")
        c = self.client()
        c.select("INBOX")
        self.assertEqual(c.search(None, "SUBJECT", "banana")[1], [b"2"])
        self.assertEqual(c.search(None, "BODY", "pears")[1], [b"1"])
        c.literal = "äpfel".encode()
        self.assertEqual(c.search("UTF-8", "BODY")[1], [b"1"])
        self.assertEqual(c.search(None, "OR", "SUBJECT", "apples",
                                  "SUBJECT", "bananas")[1], [b"1 2"])
        c.store("2", "+FLAGS", "\\Seen")
        self.assertEqual(c.search(None, "UNSEEN")[1], [b"1"])
        self.assertEqual(c.search(None, "NOT", "SEEN", "FROM", "alice")[1],
                         [b"1"])
        typ, data = c.search("KOI8-R", "BODY", "x")
        self.assertEqual(typ, "NO")

    def test_condstore_and_qresync(self):
        self.deliver("modseq")
        r = self.raw()
        r.cmd("a", 'LOGIN bob@example.test "bob\'s secret"')
        self.assertEqual(r.cmd("b", "ENABLE QRESYNC")[0],
                         "* ENABLED QRESYNC")
        out = r.cmd("c", "SELECT INBOX")
        validity = re.search(r"UIDVALIDITY (\d+)", "\n".join(out)).group(1)
        modseq = int(re.search(r"HIGHESTMODSEQ (\d+)",
                               "\n".join(out)).group(1))
        out = r.cmd("d", "STORE 1 +FLAGS (\\Answered)")
        self.assertRegex(out[0], r"^\* 1 FETCH \(FLAGS \(\\Answered\) "
                         r"MODSEQ \(\d+\)\)$")
        out = r.cmd("e", f"STORE 1 (UNCHANGEDSINCE {modseq}) "
                    "+FLAGS (\\Flagged)")
        self.assertRegex(out[-1], r"^e OK \[MODIFIED 1\]")
        out = r.cmd("f", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq})")
        self.assertEqual(len(out), 2)
        r.cmd("g", "STORE 1 +FLAGS (\\Deleted)")
        r.cmd("h", "EXPUNGE")
        r.cmd("i", "UNSELECT")
        out = r.cmd("j", f"SELECT INBOX (QRESYNC ({validity} {modseq}))")
        self.assertIn("* VANISHED (EARLIER) 1", out)


class LimitTest(ImapTest):
    extra_conf = "imapd_line_limit = 2048\nimapd_literal_limit = 4096\n"

    def test_long_line_and_literals(self):
        r = self.raw()
        r.send("a NOOP " + "x" * 5000)
        self.assertEqual(r.line(), "* BAD [TOOBIG] Line too long")
        self.assertEqual(r.cmd("b", "NOOP")[-1], "b OK NOOP completed")
        r.send("c LOGIN {100000}")
        self.assertRegex(r.line(), r"^c BAD \[TOOBIG\]")
        self.assertEqual(r.cmd("d", "NOOP")[-1], "d OK NOOP completed")
        r.send("e LOGIN {3}")
        self.assertEqual(r.line(), "+ Ready for literal data")
        r.send(b"bob {12+}\r\nbob's secret\r\n")
        self.assertEqual(r.until("e")[-1][:4], "e NO")
        r.send("f LOGIN {100000+}")
        self.assertRegex(r.line(), r"^\* BYE \[TOOBIG\]")
        self.assertEqual(r.f.read(), b"")

    def test_bad_command_limit(self):
        r = self.raw()
        for i in range(19):
            r.cmd(f"t{i}", "BOGUS")
        r.send("t19 BOGUS")
        self.assertRegex(r.line(), r"^t19 BAD")
        self.assertEqual(r.line(), "* BYE Too many bad commands")

    def test_user_connection_limit(self):
        self.inst.set_conf("imapd_user_connection_limit", "2")
        self.inst.reload()
        time.sleep(0.5)
        a = self.client()
        b = self.client()
        with self.assertRaises(imaplib.IMAP4.error) as e:
            self.inst.imap(BOB)
        self.assertIn("LIMIT", str(e.exception))
        self.assertEqual(self.inst.imap(ALICE).logout()[0], "BYE")


class ReloadTest(ImapTest):
    def test_session_reads_mail_across_a_reload(self):
        import poplib
        self.deliver("before reload")
        self.deliver("pop before reload", to=ALICE)
        c = self.client()
        c.select("INBOX")
        p = poplib.POP3("127.0.0.1", self.inst.pop3_port, timeout=10)
        self.addCleanup(p.close)
        p.user(ALICE)
        p.pass_("alice pw")
        # postern.conf changed: every service gets new children, cryptd
        # and authd too; the old ones serve their connections (and the
        # session's key) until they end.
        self.inst.set_conf("smtpd_timeout", "299s")
        self.inst.reload()
        self.assertTrue(self.inst.wait_log(r"reload done"))
        self.deliver("after reload")
        c.noop()
        typ, data = c.fetch("1:*", "(BODY[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK", (data, self.inst.log()[-3000:]))
        text = b"".join(x[1] for x in data if isinstance(x, tuple))
        self.assertIn(b"before reload", text)
        self.assertIn(b"after reload", text)
        # pop3d too (it asks cryptd without waiting); its maildrop is
        # what was there at login.
        self.assertIn(b"Subject: pop before reload", b"\r\n".join(
            p.retr(1)[1]))
        p.quit()
        # A new login is served by the new children.
        self.assertEqual(self.client(ALICE).select("INBOX")[0], "OK")
        self.assertNotRegex(self.inst.log(), r"killed by signal|lost ")

class DurabilityTest(ImapTest):
    def test_index_survives_kill_9(self):
        for i in range(5):
            self.deliver(f"durable {i}")
        c = self.inst.imap(BOB)
        c.select("INBOX")
        c.store("1:3", "+FLAGS", "\\Seen")
        c.store("2", "+FLAGS", "\\Deleted")
        c.expunge()
        typ, data = c.uid("SEARCH", "ALL")
        before = data[0]
        pids = [p for p in self.inst.children() if comm(p) == "imapd"]
        for p in pids:
            os.kill(p, signal.SIGKILL)
        c2 = wait_for(lambda: self.try_login(), 10)
        self.assertIsNotNone(c2)
        c2.select("INBOX")
        self.assertEqual(c2.uid("SEARCH", "ALL")[1][0], before)
        self.assertEqual(c2.search(None, "SEEN")[1], [b"1 2"])
        self.deliver("durable after")
        c2.noop()
        uids = [int(u) for u in c2.uid("SEARCH", "ALL")[1][0].split()]
        self.assertEqual(uids[-1], 6)

    def try_login(self):
        try:
            c = self.inst.imap(BOB)
            self.addCleanup(self.logout, c)
            return c
        except Exception:
            return None


if __name__ == "__main__":
    unittest.main()
