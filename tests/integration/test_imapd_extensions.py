"""imapd (issue 5): the extensions one by one, with the exact responses a
client parses: NAMESPACE, ID, ENABLE, LIST-EXTENDED and LIST-STATUS,
STATUS, ESEARCH, QUOTA, UIDPLUS, UNSELECT; the selected-state commands
EXAMINE, CHECK, CLOSE, UID EXPUNGE; and the malformed input that must get
a BAD (NUL bytes, unterminated literals, literals split across packets)."""
import re
import socket
import time
import unittest

from imaptest import ALICE, ImapTest, Raw

LOGIN = 'LOGIN bob@example.test "bob\'s secret"'


class ExtensionTest(ImapTest):
    def session(self, *cmds):
        """A raw session logged in as bob; returns it."""
        r = self.raw()
        self.assertRegex(r.cmd("l", LOGIN)[-1], r"^l OK")
        for c in cmds:
            r.cmd("s", c)
        return r

    def test_namespace_id_enable(self):
        r = self.session()
        self.assertEqual(r.cmd("a", "NAMESPACE"),
                         ['* NAMESPACE (("" "/")) NIL NIL',
                          "a OK NAMESPACE completed"])
        out = r.cmd("b", 'ID ("name" "test" "version" "1")')
        self.assertRegex(out[0], r'^\* ID \("name" "Postern"')
        self.assertRegex(out[-1], r"^b OK")
        self.assertRegex(r.cmd("c", "ID NIL")[-1], r"^c OK")
        # Unknown capabilities are ignored; known ones are listed once.
        out = r.cmd("d", "ENABLE CONDSTORE X-UNKNOWN")
        self.assertEqual(out, ["* ENABLED CONDSTORE", "d OK ENABLE completed"])
        self.assertRegex(r.cmd("e", "ENABLE")[-1], r"^e BAD")

    def test_status_every_item(self):
        self.deliver("one", "12345\r\n")
        self.deliver("two")
        c = self.client()
        c.select("INBOX")
        c.store("1", "+FLAGS", "(\\Seen \\Deleted)")
        c.logout()
        r = self.session()
        out = r.cmd("a", "STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY "
                    "UNSEEN DELETED SIZE HIGHESTMODSEQ)")
        m = re.match(r'^\* STATUS INBOX \(MESSAGES 2 RECENT \d+ UIDNEXT 3 '
                     r'UIDVALIDITY \d+ UNSEEN 1 DELETED 1 SIZE (\d+) '
                     r'HIGHESTMODSEQ \d+\)$', out[0])
        self.assertIsNotNone(m, out)
        # SIZE is the sum of the RFC822.SIZE of the messages.
        sizes = r.cmd("b", "EXAMINE INBOX") and r.cmd("c",
                                                      "FETCH 1:* RFC822.SIZE")
        total = sum(int(x) for x in re.findall(r"RFC822.SIZE (\d+)",
                                               "\n".join(sizes)))
        self.assertEqual(int(m.group(1)), total)
        self.assertRegex(r.cmd("d", "STATUS Nowhere (MESSAGES)")[-1],
                         r"^d NO \[NONEXISTENT\]")
        self.assertRegex(r.cmd("e", "STATUS INBOX (BOGUS)")[-1], r"^e BAD")

    def test_list_extended_and_list_status(self):
        self.deliver("unseen")
        r = self.session('CREATE "Projects/2026"', 'SUBSCRIBE "Projects/2026"')
        out = r.cmd("a", 'LIST "" "*"')
        self.assertIn('* LIST (\\HasChildren) "/" Projects', out)
        self.assertIn('* LIST (\\HasNoChildren) "/" Projects/2026', out)
        self.assertIn('* LIST (\\HasNoChildren \\Sent) "/" Sent', out)
        # Selection options: only subscribed; RECURSIVEMATCH marks parents.
        out = r.cmd("b", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        self.assertIn('* LIST (\\HasChildren) "/" Projects '
                      '("CHILDINFO" ("SUBSCRIBED"))',
                      out)
        out = r.cmd("c", 'LIST (SUBSCRIBED) "" "Projects/*"')
        self.assertEqual(out[0],
                         '* LIST (\\HasNoChildren \\Subscribed) "/" '
                         'Projects/2026')
        # SPECIAL-USE selection and return options.
        out = r.cmd("d", 'LIST (SPECIAL-USE) "" "*"')
        uses = sorted(re.search(r"(\\[A-Z][a-z]+)\) ", l).group(1)
                      for l in out[:-1])
        self.assertEqual(uses, ["\\Archive", "\\Drafts", "\\Junk",
                                "\\Sent", "\\Trash"])
        # LIST-STATUS: a STATUS line right after the mailbox's LIST line.
        out = r.cmd("e", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))')
        self.assertEqual(out[:2], ['* LIST (\\HasNoChildren) "/" INBOX',
                                   "* STATUS INBOX (MESSAGES 1 UNSEEN 1)"])
        # Several patterns at once.
        out = r.cmd("f", 'LIST "" ("INBOX" "Sent")')
        self.assertEqual(len(out), 3)
        # LSUB shows the subscribed folder and its unsubscribed parent.
        out = r.cmd("g", 'LSUB "" "*"')
        self.assertIn('* LSUB () "/" Projects/2026', out)
        self.assertRegex(r.cmd("h", 'LIST (BOGUS) "" "*"')[-1], r"^h BAD")

    def test_esearch(self):
        for s in ("red", "green", "blue", "red again"):
            self.deliver(s)
        r = self.session("SELECT INBOX")
        out = r.cmd("a", "SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT red")
        self.assertEqual(out[0],
                         '* ESEARCH (TAG "a") MIN 1 MAX 4 COUNT 2 ALL 1,4')
        out = r.cmd("b", "UID SEARCH RETURN () 2:*")
        self.assertEqual(out[0], '* ESEARCH (TAG "b") UID ALL 2:4')
        out = r.cmd("c", "SEARCH RETURN (COUNT) SUBJECT purple")
        self.assertEqual(out[0], '* ESEARCH (TAG "c") COUNT 0')
        # Saved results (SEARCHRES is not announced): plain SEARCH stays
        # the RFC 3501 form.
        self.assertEqual(r.cmd("d", "SEARCH SUBJECT blue")[0], "* SEARCH 3")

    def test_quota(self):
        self.inst.add_user("carol@example.test", "--quota", "1m",
                           password="carol pw")
        with __import__("smtplib").SMTP("127.0.0.1",
                                        self.inst.smtp_port) as s:
            s.sendmail("alice@example.org", ["carol@example.test"],
                       b"Subject: q\r\n\r\n" + b"x" * 3000 + b"\r\n")
        self.inst.wait_mail("carol@example.test", 1)
        r = self.raw()
        r.cmd("a", 'LOGIN carol@example.test "carol pw"')
        out = r.cmd("b", "GETQUOTAROOT INBOX")
        self.assertEqual(out[0], '* QUOTAROOT INBOX ""')
        m = re.match(r'^\* QUOTA "" \(STORAGE (\d+) 1024\)$', out[1])
        self.assertIsNotNone(m, out)
        self.assertGreaterEqual(int(m.group(1)), 3)
        self.assertEqual(r.cmd("c", 'GETQUOTA ""')[0], out[1])
        self.assertRegex(r.cmd("d", 'GETQUOTA "other"')[-1], r"^d NO")
        # SETQUOTA is for the administrator (postern user), not clients.
        self.assertRegex(r.cmd("e", 'SETQUOTA "" (STORAGE 99999)')[-1],
                         r"^e NO")

    def test_examine_check_close_uid_expunge(self):
        for s in ("a1", "a2", "a3"):
            self.deliver(s)
        r = self.session()
        out = r.cmd("a", "EXAMINE INBOX")
        self.assertRegex(out[-1], r"^a OK \[READ-ONLY\]")
        self.assertRegex(r.cmd("b", "STORE 1 +FLAGS (\\Seen)")[-1], r"^b NO")
        self.assertRegex(r.cmd("c", "EXPUNGE")[-1], r"^c NO")
        # Reading in EXAMINE does not set \Seen.
        r.cmd("d", "FETCH 1 BODY[TEXT]")
        self.assertNotIn("\\Seen", r.cmd("e", "FETCH 1 FLAGS")[0])
        self.assertRegex(r.cmd("f", "SELECT INBOX")[-1],
                         r"^f OK \[READ-WRITE\]")
        self.assertEqual(r.cmd("g", "CHECK")[-1], "g OK CHECK completed")
        r.cmd("h", "STORE 1:2 +FLAGS.SILENT (\\Deleted)")
        # UID EXPUNGE removes only the UIDs named, even if others are
        # \Deleted.
        out = r.cmd("i", "UID EXPUNGE 1")
        self.assertEqual(out, ["* 1 EXPUNGE", "i OK UID EXPUNGE completed"])
        # CLOSE expunges silently.
        self.assertEqual(r.cmd("j", "CLOSE"), ["j OK CLOSE completed"])
        out = r.cmd("k", "SELECT INBOX")
        self.assertIn("* 1 EXISTS", out)
        self.assertRegex(r.cmd("l", "UID FETCH 1:* UID")[0],
                         r"^\* 1 FETCH \(UID 3\)$")
        self.assertRegex(r.cmd("m", "CLOSE")[-1], r"^m OK")
        self.assertRegex(r.cmd("n", "CLOSE")[-1], r"^n BAD")

    def test_malformed_input(self):
        r = self.session()
        # A NUL byte is never valid in a command line.
        r.send(b"a NOOP \x00x\r\n")
        self.assertRegex(r.line(), r"^a BAD")
        # A literal split over several packets still arrives whole.
        r.send(b'b LIST "" {5}\r\n')
        self.assertEqual(r.line(), "+ Ready for literal data")
        r.send(b"IN")
        time.sleep(0.1)
        r.send(b"BOX\r\n")
        self.assertEqual(r.until("b"), ['* LIST (\\HasNoChildren) "/" INBOX',
                                        "b OK LIST completed"])
        # Unbalanced parentheses, a bad sequence set, a missing argument.
        self.assertRegex(r.cmd("d", "SELECT INBOX")[-1], r"^d OK")
        self.assertRegex(r.cmd("e", "FETCH 1 (FLAGS")[-1], r"^e BAD")
        self.assertRegex(r.cmd("f", "FETCH 0 FLAGS")[-1], r"^f BAD")
        self.assertRegex(r.cmd("g", "FETCH 1:x FLAGS")[-1], r"^g BAD")
        self.assertRegex(r.cmd("h", "STORE 1 +FLAGS")[-1], r"^h BAD")
        self.assertRegex(r.cmd("i", "FETCH 1 BODY[1.BOGUS]")[-1], r"^i BAD")
        self.assertRegex(r.cmd("j", "SEARCH (SUBJECT")[-1], r"^j BAD")
        self.assertRegex(r.cmd("k", "COPY 1")[-1], r"^k BAD")
        # The session goes on after all of these.
        self.assertEqual(r.cmd("z", "NOOP")[-1], "z OK NOOP completed")

    def test_unterminated_literal_loses_nothing(self):
        self.deliver("kept")
        r = self.session("SELECT INBOX")
        r.send(b"a APPEND INBOX {500}\r\n")
        self.assertEqual(r.line(), "+ Ready for literal data")
        r.send(b"From: x\r\n\r\nonly part of it")
        r.close()
        # Another session: the server is up, the mailbox is as it was.
        c = self.client()
        self.assertEqual(c.select("INBOX")[1], [b"1"])
        self.assertEqual(c.logout()[0], "BYE")
        self.assertEqual(self.client(ALICE).select("INBOX")[0], "OK")

    def test_imap4rev2_responses(self):
        self.deliver("rev2")
        r = self.session()
        self.assertEqual(r.cmd("a", "ENABLE IMAP4rev2")[0],
                         "* ENABLED IMAP4rev2")
        out = r.cmd("b", "SELECT INBOX")
        # rev2 has no RECENT and sends LIST for the selected mailbox.
        self.assertFalse([l for l in out if "RECENT" in l], out)
        self.assertIn('* LIST () "/" INBOX', out)
        # SEARCH answers with ESEARCH in rev2.
        self.assertEqual(r.cmd("c", "SEARCH ALL")[0],
                         '* ESEARCH (TAG "c") ALL 1')


    def test_sort(self):
        """SORT (RFC 5256) with imaplib: criteria, REVERSE, base subjects,
        search keys, UID SORT; bad criteria and charsets."""
        self.deliver("Re: pears", extra="Cc: zoe@example.org\r\n")
        self.deliver("[list] apples", "x" * 5000 + "\r\n")
        self.deliver("=?UTF-8?Q?Fwd:_=C3=84pfel?=")
        i = self.client()
        i.select("INBOX")
        typ, data = i.sort("(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        # apples, pears, äpfel: base subjects, folded, by octet.
        self.assertEqual(data, [b"2 1 3"])
        self.assertEqual(i.sort("(REVERSE SUBJECT)", "UTF-8", "ALL")[1],
                         [b"3 1 2"])
        self.assertEqual(i.sort("(REVERSE SIZE)", "UTF-8", "ALL")[1][0]
                         .split()[0], b"2")
        # Equal keys keep the folder's order.
        self.assertEqual(i.sort("(FROM)", "UTF-8", "ALL")[1], [b"1 2 3"])
        self.assertEqual(i.sort("(CC ARRIVAL)", "UTF-8", "ALL")[1],
                         [b"2 3 1"])
        self.assertEqual(i.sort("(SUBJECT)", "US-ASCII", "SUBJECT",
                                "apples")[1], [b"2"])
        typ, data = i.uid("SORT", "(REVERSE SUBJECT)", "UTF-8", "ALL")
        uids = i.uid("SEARCH", "ALL")[1][0].split()
        self.assertEqual(data[0].split(), [uids[2], uids[0], uids[1]])
        r = self.session("SELECT INBOX")
        self.assertRegex(r.cmd("a", "SORT (BOGUS) UTF-8 ALL")[-1],
                         r"^a BAD")
        self.assertRegex(r.cmd("b", "SORT SUBJECT UTF-8 ALL")[-1],
                         r"^b BAD")
        self.assertEqual(r.cmd("c", "SORT (DATE) KOI8-R ALL")[-1],
                         "c NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported "
                         "charset")
        self.assertEqual(r.cmd("d", "SORT (DATE) UTF-8 SUBJECT nothing"),
                         ["* SORT", "d OK SORT completed"])
        # THREAD=ORDEREDSUBJECT: same Date: on all three, so each base
        # subject is its own thread, in folder order.
        self.deliver("Re: apples")
        self.assertIn("* 4 EXISTS", r.cmd("n", "NOOP"))
        out = r.cmd("e", "THREAD ORDEREDSUBJECT UTF-8 ALL")
        self.assertEqual(out, ["* THREAD (1)(2 4)(3)",
                               "e OK THREAD completed"])
        self.assertRegex(r.cmd("f", "THREAD REFERENCES UTF-8 ALL")[-1],
                         r"^f BAD THREAD algorithm not supported")

    def test_folder_names_utf7_and_utf8(self):
        """Names are UTF-8 inside (and on disk); clients without IMAP4rev2
        send and get modified UTF-7 (RFC 3501 5.1.3), rev2 clients UTF-8
        (RFC 9051 5.1)."""
        import os
        r = self.session()
        self.assertRegex(r.cmd("a", "CREATE Entw&APw-rfe")[-1], r"^a OK")
        self.assertRegex(r.cmd("b", 'CREATE "A &- B/&ZeVnLIqe-"')[-1],
                         r"^b OK")
        store = os.path.join(self.inst.dir, "store", "example.test", "bob")
        names = os.listdir(store.encode())
        self.assertIn(".Entw\xc3\xbcrfe".encode("latin-1"), names)
        self.assertIn(".A & B.\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
                      .encode("latin-1"), names)
        out = r.cmd("c", 'LIST "" "*"')
        self.assertIn('* LIST (\\HasNoChildren) "/" Entw&APw-rfe', out)
        self.assertIn('* LIST (\\HasNoChildren) "/" "A &- B/&ZeVnLIqe-"',
                      out)
        # Patterns are modified UTF-7 too.
        out = r.cmd("d", 'LIST "" "*&APw-*"')
        self.assertEqual(len(out), 2, out)
        self.assertRegex(r.cmd("e", "SELECT Entw&APw-rfe")[-1], r"^e OK")
        # 8-bit, a bare "&", ASCII in a shift: not modified UTF-7.
        self.assertEqual(r.cmd("f", "CREATE Entw\xfcrfe".encode("latin-1")
                               .decode("latin-1"))[-1][:5], "f BAD")
        out = r.cmd("g", "CREATE A&B")
        self.assertEqual(out[-1], "g BAD CREATE needs a folder name (in "
                         "modified UTF-7)")
        self.assertRegex(r.cmd("h", "CREATE &AEE-")[-1], r"^h BAD")
        # The same folders in UTF-8 for a rev2 session.
        r2 = self.session()
        self.assertEqual(r2.cmd("a", "ENABLE IMAP4rev2")[0],
                         "* ENABLED IMAP4rev2")
        r2.send('b LIST "" "Entw*"')
        first = r2.sock.recv(4096)
        while b"b OK" not in first:
            first += r2.sock.recv(4096)
        self.assertIn("Entwürfe".encode(), first)
        self.assertNotIn(b"&APw-", first)
        r2.send("c SELECT {9+}\r\n".encode() + "Entwürfe".encode() +
                b"\r\n")
        got = r2.sock.recv(4096)
        while b"c OK" not in got and b"c NO" not in got:
            got += r2.sock.recv(4096)
        self.assertIn(b"c OK", got)
        # Not UTF-8: refused.
        r2.send(b"d CREATE {3+}\r\nA\xffB\r\n")
        got = r2.sock.recv(4096)
        self.assertIn(b"d BAD CREATE needs a folder name (in UTF-8)", got)


class FlowControlTest(ImapTest):
    def test_fetch_waits_for_a_slow_reader(self):
        """A FETCH of a whole folder writes only as fast as the client
        reads: the server's buffers stay bounded, and nothing is lost."""
        n, size = 40, 250_000
        c = self.client()
        for i in range(n):
            body = (f"{i:04d}" + "y" * 76 + "\r\n") * (size // 82)
            c.append("INBOX", None, None,
                     f"Subject: big {i}\r\n\r\n{body}".encode())
        r = Raw.__new__(Raw)
        r.sock = socket.socket()
        r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        r.sock.settimeout(30)
        r.sock.connect(("127.0.0.1", self.inst.imap_port))
        r.f = r.sock.makefile("rb")
        self.addCleanup(r.close)
        r.line()
        r.cmd("a", LOGIN)
        r.cmd("b", "SELECT INBOX")
        # BODY[] sets \Seen message by message, as the server gets to it.
        r.send("c FETCH 1:* (BODY[])\r\nd NOOP")
        time.sleep(1.5)
        other = self.client()
        other.select("INBOX", readonly=True)
        seen = len(other.search(None, "SEEN")[1][0].split())
        self.assertLess(seen, n, "the server ran ahead of the client")
        got = 0
        while True:
            l = r.f.readline()
            self.assertNotEqual(l, b"", "connection closed")
            m = re.match(rb"\* \d+ FETCH .*\{(\d+)\}\r\n$", l)
            if m:
                data = r.f.read(int(m.group(1)))
                self.assertTrue(data.startswith(b"Subject: big %d" % got))
                got += 1
            elif l.startswith(b"c "):
                self.assertEqual(l, b"c OK FETCH completed\r\n")
                break
        self.assertEqual(got, n)
        self.assertEqual(r.line(), "d OK NOOP completed")
        self.assertEqual(len(other.search(None, "SEEN")[1][0].split()), n)


if __name__ == "__main__":
    unittest.main()
