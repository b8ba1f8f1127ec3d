"""Shared pieces of the imapd tests: a raw line client for the exact
bytes, and a test case with a running instance (bob and alice)."""
import smtplib
import socket
import unittest

from harness import ImapInstance, client_tls

BOB = "bob@example.test"
ALICE = "alice@example.test"


def message(subject, body="Hello there.\r\n", extra=""):
    return (f"From: Alice <alice@example.org>\r\nTo: Bob <{BOB}>\r\n"
            f"Subject: {subject}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.org>\r\n"
            f"{extra}\r\n{body}")


class Raw:
    """A line-level IMAP client for the exact bytes."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            ctx = client_tls()
            self.sock = ctx.wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode("utf-8", "replace").rstrip("\r\n")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else
                          data.encode() + b"\r\n")

    def until(self, tag):
        """Lines up to and including the tagged one."""
        out = []
        while True:
            l = self.line()
            out.append(l)
            if l.startswith(tag + " ") or l == "":
                return out

    def cmd(self, tag, text):
        self.send(f"{tag} {text}")
        return self.until(tag)

    def close(self):
        self.f.close()
        self.sock.close()


class ImapTest(unittest.TestCase):
    extra_conf = ""
    imapd_opts = ""
    pop3d_opts = ""

    def setUp(self):
        self.inst = ImapInstance(extra_conf="auth_failure_delay_max = 0s\n"
                                 + self.extra_conf,
                                 imapd_opts=self.imapd_opts,
                                 pop3d_opts=self.pop3d_opts)
        self.addCleanup(self.check_clean)
        self.inst.add_user(BOB, password="bob's secret")
        self.inst.add_user(ALICE, password="alice pw")
        self.inst.start()

    def check_clean(self):
        problems = self.inst.cleanup()
        self.assertEqual(problems, [], "sanitizer reports")

    def deliver(self, subject, body="Hello there.\r\n", to=BOB, extra=""):
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port) as s:
            s.sendmail("alice@example.org", [to],
                       message(subject, body, extra).encode())
        self.assertIsNotNone(self.inst.wait_message(to, subject.encode()))

    def client(self, user=BOB, tls=False):
        c = self.inst.imap(user, tls=tls)
        self.addCleanup(self.logout, c)
        return c

    @staticmethod
    def logout(c):
        try:
            c.logout()
        except Exception:
            pass

    def raw(self, tls=False, port=None):
        r = Raw(port or (self.inst.imaps_port if tls else
                         self.inst.imap_port), tls)
        self.addCleanup(r.close)
        return r
