"""Hostile clients (issue 10, part 4): slowloris on every port does not
starve honest clients; 1,000 connections from one address are cut at the
per-client limit, logged once with the setting and counted in status; a
pipelined flood of commands is bounded; a huge IMAP literal is refused
before any of its bytes are read; a password guesser is slowed,
blocked and logged while others log in.  Attackers and honest clients
use different loopback addresses, as they would come from different
hosts."""
import resource
import smtplib
import socket
import threading
import time
import unittest

from harness import ImapInstance, postern, wait_for

USER = "bob@example.test"


def dial(port, source, timeout=20):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0))
    return s


def first_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def talk(s, line):
    s.sendall(line.encode() + b"\r\n")
    return first_line(s)


class HostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096 <= hard or hard == resource.RLIM_INFINITY:
            resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
        cls.inst = ImapInstance("auth_block_threshold = 5\n"
                                "auth_failure_delay_max = 1s\n"
                                "smtpd_timeout = 60s\n")
        cls.inst.start()
        cls.inst.add_user(USER)

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def honest_smtp(self):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=20,
                          source_address=("127.0.0.2", 0)) as s:
            s.sendmail("friend@remote.test", [USER],
                       b"Subject: honest\r\n\r\nstill served\r\n")

    def honest_imap(self):
        s = dial(self.inst.imap_port, "127.0.0.2")
        try:
            self.assertTrue(first_line(s).startswith("* OK"))
            pw = self.inst.PASSWORD
            self.assertTrue(talk(s, f'a LOGIN {USER} "{pw}"')
                            .startswith("a OK"))
        finally:
            s.close()

    def honest_pop3(self):
        s = dial(self.inst.pop3_port, "127.0.0.2")
        try:
            self.assertTrue(first_line(s).startswith("+OK"))
            self.assertTrue(talk(s, f"USER {USER}").startswith("+OK"))
            self.assertTrue(talk(s, f"PASS {self.inst.PASSWORD}")
                            .startswith("+OK"))
            self.assertTrue(talk(s, "QUIT").startswith("+OK"))
        finally:
            s.close()

    def test_slowloris_does_not_starve_honest_clients(self):
        ports = (self.inst.smtp_port, self.inst.imap_port,
                 self.inst.pop3_port)
        slow = [dial(p, "127.0.0.1") for p in ports for _ in range(40)]
        stop = threading.Event()

        def dribble():
            # One byte at a time, never a whole line.
            while not stop.is_set():
                for s in slow:
                    try:
                        s.send(b"N")
                    except OSError:
                        pass
                stop.wait(0.3)
        t = threading.Thread(target=dribble)
        t.start()
        try:
            time.sleep(1)
            self.honest_smtp()
            self.honest_imap()
            self.honest_pop3()
        finally:
            stop.set()
            t.join()
            for s in slow:
                s.close()
        self.assertTrue(self.inst.wait_message(USER, b"still served"))

    def test_thousand_connections_cut_at_the_per_client_limit(self):
        conns = []
        try:
            for _ in range(1000):
                conns.append(dial(self.inst.smtp_port, "127.0.0.3", 60))
            codes = [first_line(s)[:3] for s in conns]
        finally:
            for s in conns:
                s.close()
        # smtpd_client_connection_limit: 50 by default.
        self.assertEqual(codes.count("220"), 50, codes[:60])
        self.assertEqual(codes.count("421"), 950)
        self.assertTrue(self.inst.wait_log(
            r"service smtp: smtpd_client_connection_limit reached: "
            r"\[127\.0\.0\.3\] has 51 connections \(limit 50\)"))
        self.assertEqual(self.inst.log().count(
            "smtpd_client_connection_limit reached: [127.0.0.3]"), 1)
        r = postern(self.inst.dir, "status")
        self.assertRegex(r.stdout,
                         r"smtpd_client_connection_limit=(9[5-9]\d|\d{4})")
        self.honest_smtp()

    def test_pipelined_flood_is_bounded(self):
        s = dial(self.inst.smtp_port, "127.0.0.5")
        self.assertTrue(first_line(s).startswith("220"))
        s.sendall(b"EHLO flood.test\r\n")
        flood = b"NOOP\r\n" * 200000        # 1.2 MB in one go

        def send():
            try:
                s.sendall(flood)
            except OSError:
                pass          # the server hung up mid-flood, as it should
        t = threading.Thread(target=send)
        t.start()
        got = b""
        s.settimeout(30)
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            got += chunk
        t.join(30)
        s.close()
        lines = got.decode().splitlines()
        self.assertLess(len(lines), 1000)   # not 200,000 answers
        self.assertTrue(any(l.startswith("421 4.7.0") for l in lines),
                        lines[-3:])
        self.assertTrue(self.inst.wait_log(
            r"too many commands without a message from \[127\.0\.0\.5\]"))
        self.honest_smtp()

    def test_huge_imap_literal_refused_before_it_is_read(self):
        s = dial(self.inst.imap_port, "127.0.0.7")
        self.assertTrue(first_line(s).startswith("* OK"))
        pw = self.inst.PASSWORD
        self.assertTrue(talk(s, f'a LOGIN {USER} "{pw}"').startswith("a OK"))
        # 10 GB announced: refused at once, no "+" inviting the bytes,
        # and the session goes on.
        self.assertRegex(talk(s, "b APPEND INBOX {10000000000}"),
                         r"^b BAD \[TOOBIG\] Literal too large")
        self.assertTrue(talk(s, "c NOOP").startswith("c OK"))
        # A non-synchronizing one cannot be refused and then skipped: the
        # server hangs up rather than read it.
        s.sendall(b"d APPEND INBOX {10000000000+}\r\n" + b"x" * 4096)
        self.assertRegex(first_line(s), r"^\* BYE \[TOOBIG\]")
        self.assertTrue(self.inst.wait_log(
            r"literal of 10000000000 bytes from \[127\.0\.0\.7\] "
            r"refused"))
        s.close()
        self.honest_imap()

    def test_password_guessing_is_blocked_and_logged(self):
        s = dial(self.inst.imap_port, "127.0.0.6", 60)
        self.assertTrue(first_line(s).startswith("* OK"))
        for i in range(5):
            self.assertTrue(talk(s, f'g{i} LOGIN {USER} "guess{i}"')
                            .startswith(f"g{i} NO"))
        self.assertTrue(self.inst.wait_log(
            r"authentication blocked: rip=127\.0\.0\.6 failures=5 "
            r"\(auth_block_threshold=5"))
        # Blocked: even the right password is refused from there ...
        pw = self.inst.PASSWORD
        self.assertTrue(talk(s, f'r LOGIN {USER} "{pw}"').startswith("r NO"))
        s.close()
        # ... while the user, from elsewhere, logs in.
        self.honest_imap()


if __name__ == "__main__":
    unittest.main()
