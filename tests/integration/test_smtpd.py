"""smtpd against a real running instance: the bytes on the wire, the
message in the mailbox, and what is refused (issue 3)."""
import os
import re
import smtplib
import socket
import subprocess
import shutil
import time
import unittest

from harness import MailInstance, client_tls, postern, wait_for


class Raw:
    """A byte-exact SMTP client: send what the test says, read replies."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")

    def reply(self):
        """One whole (possibly multi-line) reply as (code, [texts])."""
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("connection closed")
            line = line.decode().rstrip("\r\n")
            lines.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), lines

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5.0):
        self.sock.settimeout(timeout)
        try:
            return self.f.read() == b"" or True
        except (socket.timeout, TimeoutError):
            return False

    def close(self):
        self.f.close()
        self.sock.close()


class SmtpdBase(unittest.TestCase):
    extra_conf = ""
    smtpd_opts = ""

    @classmethod
    def setUpClass(cls):
        cls.inst = MailInstance(cls.extra_conf, cls.smtpd_opts)
        cls.inst.start()
        for u in ("bob@example.test", "alice@example.test"):
            cls.inst.add_user(u)
        r = cls.inst.cmd("alias", "add", "team@example.test",
                         "bob@example.test", "alice@example.test")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def session(self, port=None):
        c = Raw(port or self.inst.smtp_port)
        self.addCleanup(c.close)
        code, _ = c.reply()
        self.assertEqual(code, 220)
        return c

    def ehlo(self, port=None):
        c = self.session(port)
        code, lines = c.cmd("EHLO client.test")
        self.assertEqual(code, 250)
        return c, lines

    def count(self, address):
        return len(self.inst.mailbox_files(address))


class SessionTest(SmtpdBase):
    def test_ehlo_announces_every_extension(self):
        c, lines = self.ehlo()
        for ext in ("PIPELINING", "SIZE 52428800", "STARTTLS",
                    "ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME",
                    "CHUNKING", "DSN", "SMTPUTF8"):
            self.assertIn(ext, lines)

    def test_pipelined_session_delivers_exact_bytes(self):
        before = self.count("bob@example.test")
        c = self.session()
        body = (b"Subject: pipelined\r\nMessage-ID: <p1@client.test>\r\n\r\n"
                b"line one\r\n..leading dot\r\n")
        # The whole transaction in one write (RFC 2920).
        c.send(b"EHLO client.test\r\nMAIL FROM:<sender@client.test> "
               b"SIZE=200\r\nRCPT TO:<bob@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\nDATA\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.reply(), (250, ["2.1.0 Ok"]))
        self.assertEqual(c.reply(), (250, ["2.1.5 Ok"]))
        code, text = c.reply()
        self.assertEqual((code, text[0][:5]), (550, "5.1.1"))
        self.assertEqual(c.reply()[0], 354)
        code, text = c.cmd(body.decode() + ".")
        self.assertEqual(code, 250)
        m = re.match(r"2\.0\.0 Ok: queued as ([0-9A-Za-z]{16})$", text[0])
        self.assertTrue(m, text)
        qid = m.group(1)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        msg = self.inst.wait_message("bob@example.test", b"<p1@client.test>")
        self.assertIsNotNone(msg)
        self.assertEqual(sum(b"<p1@client.test>" in x for x in
                             self.inst.mailbox("bob@example.test")), 1)
        # Our trace and delivery headers (SPF passes loopback clients;
        # no DKIM signature, no From: for DMARC), then the message, dot
        # unstuffed.
        self.assertTrue(msg.startswith(
            b"Return-Path: <sender@client.test>\r\n"
            b"Delivered-To: bob@example.test\r\n"
            # scored (test_spam): no Date:; the HELO check could not ask
            b"X-Spam-Score: 1.00\r\n"
            b"X-Spam-Status: No, score=1.00 required=5.00 tests=NO_DATE=1\r\n"
            b"Authentication-Results: mail.example.test;\r\n"
            b"\tspf=pass smtp.mailfrom=sender@client.test;\r\n"
            b"\tdkim=none;\r\n\tdmarc=none\r\n"
            b"Received: from client.test "
            b"([127.0.0.1])\r\n\tby mail.example.test (Postern) with ESMTP "
            b"id " + qid.encode() + b"\r\n\tfor <bob@example.test>; "), msg)
        self.assertTrue(msg.endswith(b"\r\nline one\r\n.leading dot\r\n"),
                        msg)
        self.assertIn(b"\r\n.leading dot\r\n", msg)
        self.assertTrue(self.inst.wait_log(
            r"disconnect from \[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1/2 "
            r"data=1 quit=1 commands=5/6"))
        self.assertTrue(self.inst.wait_log(qid + r": client=\[127\.0\.0\.1\]"))

    def test_smtplib_with_aliases_and_size(self):
        before = self.count("alice@example.test")
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.ehlo("client.test")
            self.assertTrue(s.has_extn("size"))
            refused = s.sendmail("a@client.test", ["team@example.test"],
                                 b"Subject: team\r\n\r\nhello team\r\n")
            self.assertEqual(refused, {})
        self.assertIsNotNone(self.inst.wait_message("alice@example.test",
                                                    b"hello team"))

    def test_bdat_chunks(self):
        before = self.count("bob@example.test")
        c, _ = self.ehlo()
        part1 = b"Subject: chunky\r\n\r\n.dot stays\r\n"
        part2 = b"\r\n.\r\nnot an end\r\nbare\nlf ok in BDAT\r\n"
        c.send(b"MAIL FROM:<s@client.test> BODY=BINARYMIME\r\n"
               b"RCPT TO:<bob@example.test>\r\n"
               b"BDAT %d\r\n" % len(part1) + part1 +
               b"BDAT %d LAST\r\n" % len(part2) + part2)
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.reply()[1][0], f"2.0.0 Ok: {len(part1)} octets "
                         "received")
        code, text = c.reply()
        self.assertEqual(code, 250)
        self.assertIn("queued as", text[0])
        self.assertEqual(c.cmd("QUIT")[0], 221)
        m = self.inst.wait_message("bob@example.test", b"not an end")
        self.assertTrue(m is not None and m.endswith(part1 + part2))

    def test_bdat_zero_last_and_data_with_binarymime(self):
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<s@client.test> BODY=BINARYMIME")
        c.cmd("RCPT TO:<bob@example.test>")
        self.assertEqual(c.cmd("DATA")[0], 503)
        c.send(b"BDAT 5\r\nab\r\nc")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("BDAT 0 LAST")[0], 250)

    def test_smtputf8_and_8bitmime(self):
        before = self.count("bob@example.test")
        c, _ = self.ehlo()
        # Without SMTPUTF8 a non-ASCII address is refused.
        code, _ = c.cmd("MAIL FROM:<j\u00f6ran@client.test>")
        self.assertGreaterEqual(code, 500)
        self.assertEqual(c.cmd("MAIL FROM:<j\u00f6ran@client.test> "
                               "SMTPUTF8 BODY=8BITMIME")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<bob@example.test>")[0], 250)
        c.cmd("DATA")
        body = "Subject: Gr\u00fc\u00dfe\r\n\r\n\u00e9t\u00e9\r\n"
        c.send(body.encode())
        code, text = c.cmd(".")
        self.assertEqual(code, 250)
        m = self.inst.wait_message("bob@example.test",
                                   "Gr\u00fc\u00dfe".encode())
        self.assertIn(b"with UTF8SMTP id", m)
        self.assertTrue(m.endswith(body.encode()))

    def test_rset_noop_help_vrfy(self):
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("NOOP"), (250, ["2.0.0 Ok"]))
        self.assertEqual(c.cmd("HELP")[0], 214)
        self.assertEqual(c.cmd("VRFY bob@example.test")[0], 252)
        c.cmd("MAIL FROM:<a@client.test>")
        self.assertEqual(c.cmd("RSET"), (250, ["2.0.0 Ok"]))
        self.assertEqual(c.cmd("RCPT TO:<bob@example.test>")[0], 503)

    def test_swaks_pipelining_and_tls(self):
        if shutil.which("swaks") is None:
            self.skipTest("swaks not installed")
        before = self.count("bob@example.test")
        r = subprocess.run(
            ["swaks", "--server", "127.0.0.1", "--port",
             str(self.inst.smtp_port), "--to", "bob@example.test",
             "--from", "swaks@client.test", "--tls", "--pipeline",
             "--header", "Subject: swaks", "--body", "via swaks"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = self.inst.wait_message("bob@example.test", b"via swaks")
        self.assertTrue(m is not None and b"(using TLSv1." in m)


class ErrorTest(SmtpdBase):
    smtpd_opts = ("-o message_size_limit=4k -o smtpd_recipient_limit=2 "
                  "-o smtpd_error_limit=6")

    def test_sequence_errors(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<a@client.test>")[1][0][:5],
                         "5.5.1")
        c.cmd("EHLO client.test")
        self.assertEqual(c.cmd("RCPT TO:<bob@example.test>")[0], 503)
        self.assertEqual(c.cmd("DATA")[0], 503)
        c.cmd("MAIL FROM:<a@client.test>")
        self.assertEqual(c.cmd("MAIL FROM:<a@client.test>")[0], 503)
        self.assertEqual(c.cmd("DATA"), (554, ["5.5.1 Error: no valid "
                                               "recipients"]))

    def test_syntax_errors(self):
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("FOO")[1][0][:5], "5.5.2")
        self.assertEqual(c.cmd("MAIL FROM:a@client.test")[0], 501)
        self.assertEqual(c.cmd("EHLO")[0], 501)

    def test_size_limits(self):
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<a@client.test> SIZE=5000"),
                         (552, ["5.3.4 Message size exceeds fixed limit"]))
        c.cmd("MAIL FROM:<a@client.test>")
        c.cmd("RCPT TO:<bob@example.test>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: big\r\n\r\n" + b"x" * 78 + b"\r\n" * 1
               + (b"y" * 78 + b"\r\n") * 80)
        self.assertEqual(c.cmd(".")[0:1], (552,))
        # The session goes on.
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_recipient_limit(self):
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<a@client.test>")
        self.assertEqual(c.cmd("RCPT TO:<bob@example.test>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.test>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<team@example.test>"),
                         (452, ["4.5.3 Error: too many recipients"]))

    def test_line_too_long(self):
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("NOOP " + "x" * 3000)[1][0][:5], "5.5.2")
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_error_limit_disconnects(self):
        c, _ = self.ehlo()
        for _ in range(5):
            self.assertEqual(c.cmd("BOGUS")[0], 500)
        c.send("BOGUS\r\n")
        self.assertEqual(c.reply()[0], 500)
        code, text = c.reply()
        self.assertEqual(code, 421)
        self.assertRaises(EOFError, c.reply)


class RelayTest(SmtpdBase):
    TRICKS = [
        "<victim@remote.test>",
        "<victim@REMOTE.TEST>",
        "<victim%remote.test@example.test>",
        "<victim%remote.test@[127.0.0.1]>",
        "<remote.test!victim@example.test>",
        "<victim!remote.test@example.test>",
        "<\"victim@remote.test\"@example.test>",
        "<\"victim%remote.test\"@example.test>",
        "<@example.test:victim@remote.test>",
        "<@example.test,@other.test:victim@remote.test>",
        "<victim@remote.test@example.test>",
        "<bob@example.test@remote.test>",
        "<victim@remote.test.>",
        "<bob@example.test.>",
        "<victim@[127.0.0.1]>",
        "<bob@[127.0.0.1]>",
        "<victim@[IPv6:::1]>",
        "victim@remote.test",
        "<victim@remote.test> NOTIFY=NEVER",
    ]

    def test_every_relay_trick_is_refused(self):
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<a@client.test>")[0], 250)
        for trick in self.TRICKS:
            code, text = c.cmd("RCPT TO:" + trick)
            self.assertGreaterEqual(code, 500, f"{trick}: {code} {text}")
        self.assertEqual(c.cmd("DATA")[0], 554)

    def test_relay_denied_and_unknown_user_codes(self):
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<a@client.test>")
        self.assertEqual(c.cmd("RCPT TO:<x@remote.test>"),
                         (554, ["5.7.1 <x@remote.test>: Relay access denied"]))
        self.assertEqual(c.cmd("RCPT TO:<nobody@example.test>"),
                         (550, ["5.1.1 <nobody@example.test>: Recipient "
                                "address rejected: User unknown"]))
        # Extensions and case are not tricks.
        self.assertEqual(c.cmd("RCPT TO:<Bob+tag@Example.TEST>")[0], 250)


class SmugglingTest(SmtpdBase):
    def attempt(self, fake_end):
        before = self.count("bob@example.test")
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<a@client.test>")
        c.cmd("RCPT TO:<bob@example.test>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: outer\r\n\r\nfirst" + fake_end +
               b"MAIL FROM:<evil@client.test>\r\n"
               b"RCPT TO:<bob@example.test>\r\nDATA\r\n"
               b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
        code, text = c.reply()
        self.assertEqual((code, text[0][:5]), (550, "5.6.0"), fake_end)
        # Exactly one reply: the next is QUIT's.
        self.assertEqual(c.cmd("QUIT")[0], 221)
        time.sleep(0.5)
        self.assertTrue(self.inst.queue_empty())
        self.assertEqual(self.count("bob@example.test"), before)

    def test_lf_dot_lf(self):
        self.attempt(b"\n.\n")

    def test_cr_dot_cr(self):
        self.attempt(b"\r.\r")

    def test_lf_dot_crlf(self):
        self.attempt(b"\n.\r\n")

    def test_crlf_dot_lf(self):
        self.attempt(b"\r\n.\n")

    def test_crlf_dot_cr(self):
        self.attempt(b"\r\n.\r")

    def test_split_end_of_data_across_packets(self):
        before = self.count("bob@example.test")
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<a@client.test>")
        c.cmd("RCPT TO:<bob@example.test>")
        c.cmd("DATA")
        for piece in (b"Subject: split\r\n\r\nbody\r", b"\n", b".", b"\r",
                      b"\n"):
            c.send(piece)
            time.sleep(0.05)
        self.assertEqual(c.reply()[0], 250)
        m = self.inst.wait_message("bob@example.test", b"Subject: split")
        self.assertTrue(m is not None and m.endswith(b"\r\n\r\nbody\r\n"))


class TlsTest(SmtpdBase):
    def test_starttls_discards_pipelined_commands(self):
        c, _ = self.ehlo()
        # RSET rides in the same packet as STARTTLS: it must be dropped.
        c.send("STARTTLS\r\nRSET\r\n")
        self.assertEqual(c.reply(), (220, ["2.0.0 Ready to start TLS"]))
        ctx = client_tls()
        tls = ctx.wrap_socket(c.sock, server_hostname="mail.example.test")
        f = tls.makefile("rb")
        tls.sendall(b"NOOP\r\n")
        # The first reply over TLS is NOOP's, not a late one for RSET.
        self.assertEqual(f.readline(), b"250 2.0.0 Ok\r\n")
        # The session was reset: MAIL needs a new EHLO.
        tls.sendall(b"MAIL FROM:<a@client.test>\r\n")
        self.assertTrue(f.readline().startswith(b"503 5.5.1"))
        tls.sendall(b"EHLO client.test\r\n")
        lines = []
        while True:
            line = f.readline()
            lines.append(line)
            if line[3:4] == b" ":
                break
        self.assertNotIn(b"250-STARTTLS\r\n", lines)
        f.close()
        tls.close()

    def test_implicit_tls_and_received_names_cipher(self):
        before = self.count("alice@example.test")
        ctx = client_tls()
        with smtplib.SMTP_SSL("127.0.0.1", self.inst.smtps_port,
                              context=ctx) as s:
            s.sendmail("a@client.test", ["alice@example.test"],
                       b"Subject: tls\r\n\r\nover tls\r\n")
            version = s.sock.version()
            cipher = s.sock.cipher()[0]
        m = self.inst.wait_message("alice@example.test", b"over tls")
        self.assertIn(b"with ESMTPS id", m)
        self.assertIn(f"(using {version} with cipher {cipher}".encode(), m)


class LimitTest(SmtpdBase):
    smtpd_opts = ("-o smtpd_timeout=2s -o smtpd_data_timeout=2s "
                  "-o smtpd_junk_command_limit=5")

    def test_command_timeout_closes(self):
        c = self.session()
        start = time.monotonic()
        self.assertTrue(c.closed(timeout=10))
        self.assertLess(time.monotonic() - start, 8)
        self.assertTrue(self.inst.wait_log(r"timeout from \[127\.0\.0\.1\]"))

    def test_data_timeout_queues_nothing(self):
        c, _ = self.ehlo()
        c.cmd("MAIL FROM:<a@client.test>")
        c.cmd("RCPT TO:<bob@example.test>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: stalled\r\n\r\nhalf a message")
        self.assertTrue(c.closed(timeout=10))
        self.assertTrue(self.inst.wait_log(
            r"timeout after DATA from \[127\.0\.0\.1\]: message not "
            r"queued"))
        # The unfinished file is gone from tmp/, nothing reached the queue.
        self.assertTrue(wait_for(lambda: not self.inst.queue_files("tmp"),
                                 5))
        self.assertTrue(self.inst.queue_empty())

    def test_junk_command_limit(self):
        c, _ = self.ehlo()
        for _ in range(4):
            self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(c.cmd("NOOP")[0], 421)



class PerClientLimitTest(SmtpdBase):
    smtpd_opts = ("-o smtpd_client_connection_limit=3 "
                  "-o smtpd_client_rate_limit=8")

    def test_connection_count_and_rate_per_ip(self):
        conns = [Raw(self.inst.smtp_port) for _ in range(4)]
        codes = [c.reply()[0] for c in conns]
        self.assertEqual(codes.count(220), 3, codes)
        self.assertEqual(codes[-1], 421)
        for c in conns:
            c.close()
        self.assertTrue(self.inst.wait_log(
            r"service smtp: smtpd_client_connection_limit reached: "
            r"\[127\.0\.0\.1\] has 4 connections \(limit 3\).*Hint: raise "
            r"smtpd_client_connection_limit in postern.conf"))
        # Connects in the window so far exceed the rate limit soon.
        codes = []
        for _ in range(8):
            c = Raw(self.inst.smtp_port)
            codes.append(c.reply()[0])
            c.close()
            time.sleep(0.05)
        self.assertIn(421, codes)
        self.assertTrue(self.inst.wait_log(
            r"service smtp: smtpd_client_rate_limit reached: \[127\.0\.0\.1\] "
            r"opened 9 connections in 60s \(limit 8\)"))
        # Each refusal is counted; the log holds back repeats.
        r = postern(self.inst.dir, "status")
        self.assertRegex(r.stdout, r"smtpd_client_connection_limit=1\b")
        self.assertRegex(r.stdout, r"smtpd_client_rate_limit=[1-9]")


class EarlyTalkerTest(SmtpdBase):
    smtpd_opts = "-o smtpd_greeting_delay=1s"

    def test_early_talker_refused(self):
        c = Raw(self.inst.smtp_port)
        self.addCleanup(c.close)
        c.send("EHLO hasty.test\r\n")
        code, text = c.reply()
        self.assertEqual((code, text[0][:5]), (554, "5.5.1"))

    def test_patient_client_served(self):
        c = Raw(self.inst.smtp_port)
        self.addCleanup(c.close)
        self.assertEqual(c.reply()[0], 220)


class ReloadTest(SmtpdBase):
    def test_reload_lets_the_session_in_progress_finish(self):
        # postern.conf changed: every service gets new children, and the
        # old ones retire.  smtpd's worker threads must not take the
        # SIGHUP that asks it to retire (the default action would end
        # the process and cut the client off mid-transaction).
        c, _ = self.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<a@remote.test>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<bob@example.test>")[0], 250)
        self.inst.set_conf("smtpd_timeout", "299s")
        self.inst.reload()
        self.assertTrue(self.inst.wait_log(r"reload done"))
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send("Subject: across a reload\r\n\r\nstill here\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertTrue(wait_for(lambda: any(
            b"across a reload" in m
            for m in self.inst.mailbox("bob@example.test")), 10))
        # A new session is served by a new child.
        self.ehlo()
        self.assertNotRegex(self.inst.log(), r"killed by signal|lost ")


if __name__ == "__main__":
    unittest.main()
