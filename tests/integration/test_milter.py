"""Milters in smtpd (issue 8), against a real milter from Debian:
opendkim, run here in the foreground on 127.0.0.1 as the test's user.
In sign mode it must add a DKIM-Signature that dkimpy verifies in the
delivered message (so the header fields and body it was shown are the
message as delivered), at the top, after our Authentication-Results.  In
verify mode, its On-BadSignature actions (reject, discard, quarantine) must
become our 550, a 250 with nothing queued, and delivery to Junk.
A milter that is down, too slow or talks garbage gets
milter_default_action: for these only, a small fake milter stands in."""
import os
import shutil
import smtplib
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import dkim

from harness import (DnsServer, MailInstance, client_tls, free_port,
                     rsa_key, wait_for)

BOB = "bob@example.test"


KEY_PRIV, KEY_PUB = rsa_key()


def can_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


class OpenDkim:
    """opendkim -f on 127.0.0.1 and a free port, with the settings given
    (lines of opendkim.conf) and the key above as sel._domainkey of
    example.test for signing."""

    def __init__(self, settings, socket_path=None):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="postern-opendkim-")
        key = os.path.join(self.dir, "key.pem")
        with open(key, "wb") as f:
            f.write(KEY_PRIV)
        os.chmod(key, 0o600)
        conf = os.path.join(self.dir, "opendkim.conf")
        with open(conf, "w") as f:
            f.write("Syslog no\nBackground no\nRequireSafeKeys false\n"
                    f"KeyFile {key}\nSelector sel\n"
                    "Canonicalization relaxed/relaxed\n"
                    # smtpd may run as another user (root tests)
                    "UMask 000\n" +
                    "\n".join(settings) + "\n")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        spec = (f"local:{socket_path}" if socket_path else
                f"inet:{self.port}@127.0.0.1")
        ready = ((lambda: os.path.exists(socket_path)) if socket_path else
                 (lambda: can_connect(self.port)))
        self.proc = subprocess.Popen(
            ["opendkim", "-f", "-x", conf, "-p", spec],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: ready() or
                        self.proc.poll() is not None, 10) or \
                self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("opendkim did not start: " + self.output())

    def output(self):
        with open(os.path.join(self.dir, "log"), errors="replace") as f:
            return f.read()

    def stop(self):
        # On SIGTERM libmilter waits 5 s for sessions to end: none are
        # left that matter, so SIGKILL, to this process only.
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class FakeMilter:
    """A milter that misbehaves on purpose: 'hang' answers OPTNEG and then
    nothing; 'garbage' answers OPTNEG and then junk; 'badcode' lets every
    stage pass and ends with a REPLYCODE that is not 4xx/5xx.  And one
    that behaves, for what opendkim 2.11 never asks for (it does not
    negotiate SMFIF_QUARANTINE): 'quarantine' asks for the message to be
    quarantined, adds a field and asks to delete the Subject; nor refuses
    a recipient: 'rcpt' does, with its own reply."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.talk, args=(c,),
                             daemon=True).start()

    @staticmethod
    def packet(cmd, data=b""):
        return struct.pack(">I", len(data) + 1) + cmd + data

    def talk(self, c):
        try:
            while True:
                head = c.recv(4, socket.MSG_WAITALL)
                if len(head) < 4:
                    return
                n = struct.unpack(">I", head)[0]
                body = c.recv(n, socket.MSG_WAITALL)
                cmd = body[:1]
                if cmd == b"O":
                    c.sendall(self.packet(b"O", struct.pack(
                        ">III", 6, 0x31, 0)))
                elif cmd in (b"D", b"Q", b"A"):
                    continue
                elif self.mode == "hang":
                    continue
                elif self.mode == "garbage":
                    c.sendall(b"\x00\x00\x00\x05zzzzz")
                elif cmd == b"R" and self.mode == "rcpt":
                    c.sendall(self.packet(b"y", b"554 5.7.9 Not for "
                                          b"this recipient\x00"))
                elif cmd == b"E" and self.mode == "quarantine":
                    c.sendall(self.packet(b"q", b"looks odd\x00") +
                              self.packet(b"h", b"X-Fake\x00checked\x00") +
                              self.packet(b"m", b"\x00\x00\x00\x01"
                                          b"Subject\x00\x00") +
                              self.packet(b"p") + self.packet(b"c"))
                elif cmd == b"E":
                    c.sendall(self.packet(b"y", b"250 2.0.0 fine\x00"))
                else:
                    c.sendall(self.packet(b"c"))
        except OSError:
            return

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def message(marker, sender="alice@example.test", body="Hello.\r\n"):
    return (f"From: Alice <{sender}>\r\nTo: <{BOB}>\r\n"
            f"Subject: {marker}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{marker}@example.test>\r\n"
            f"\r\n{body}").encode()


def sign(msg, domain="signed.test"):
    sig = dkim.sign(msg, b"sel", domain.encode(), KEY_PRIV,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject"])
    return sig.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n") + msg


def header_names(msg):
    """The names of the header fields, without those local(8) puts on
    top at delivery (its trace fields and its spam verdict)."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    return [l.split(":", 1)[0] for l in head.split("\r\n")
            if l and l[0] not in " \t" and
            l.split(":", 1)[0] not in ("Return-Path", "Delivered-To",
                                       "X-Spam-Score", "X-Spam-Status")]


class MilterCase(unittest.TestCase):
    """An instance whose smtpd services use the milters of milters()."""
    extra = ""

    def start(self, milters, extra="", smtpd_opts="", services=""):
        self.inst = MailInstance(
            extra_conf=f"smtpd_milters = {milters}\n" + extra,
            smtpd_opts=smtpd_opts)
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.append("master.conf", services)
        self.inst.add_user(BOB)
        self.inst.start()

    def send(self, data, port=None, sender="alice@example.test"):
        """The reply to the end of DATA: (code, text)."""
        with smtplib.SMTP("127.0.0.1", port or self.inst.smtp_port,
                          timeout=30) as s:
            s.ehlo("client.test")
            self.assertEqual(s.mail(sender)[0], 250)
            self.assertEqual(s.rcpt(BOB)[0], 250)
            try:
                code, text = s.data(data)
            except smtplib.SMTPDataError as e:
                code, text = e.smtp_code, e.smtp_error
            return code, text.decode()

    def assert_not_queued(self, marker):
        """Nothing of the message in the queue or the mailbox."""
        self.assertTrue(self.inst.queue_empty())
        time.sleep(0.5)
        for folder in ("", "Junk"):
            for m in self.inst.mailbox(BOB, folder):
                self.assertNotIn(marker.encode(), m)


class SignTest(MilterCase):
    """opendkim signs mail from 127.0.0.1 (its default InternalHosts)."""

    def setUp(self):
        self.odk = OpenDkim(["Mode s", "Domain example.test"])
        self.addCleanup(self.odk.stop)
        self.start(f"inet:127.0.0.1:{self.odk.port}",
                   "smtpd_spf = no\n")

    def test_signature_added_and_valid(self):
        body = "Line one.\r\n\r\n.leading dot\r\n" + "x" * 70000 + "\r\n"
        code, text = self.send(message("sign-1", body=body))
        self.assertEqual(code, 250, text)
        msg = self.inst.wait_message(BOB, b"sign-1")
        self.assertIsNotNone(msg)
        names = header_names(msg)
        # Ours first, then the milter's, then the Received field.
        self.assertEqual(names[:3], ["Authentication-Results",
                                     "DKIM-Signature", "Received"])
        self.assertIn(b"d=example.test", msg)
        self.assertIn(b"s=sel", msg)
        # The signature holds for the message as delivered: opendkim saw
        # the same header fields and body.
        pub = f"v=DKIM1; k=rsa; p={KEY_PUB}".encode()
        self.assertTrue(dkim.verify(
            msg, dnsfunc=lambda name, timeout=5: pub))
        self.assertTrue(self.inst.wait_log(
            r"milter=inet:127\.0\.0\.1:\d+, header_added=1"))

    def test_other_domain_not_signed(self):
        code, text = self.send(message("sign-2", "carol@elsewhere.test"),
                               sender="carol@elsewhere.test")
        self.assertEqual(code, 250, text)
        msg = self.inst.wait_message(BOB, b"sign-2")
        self.assertNotIn(b"DKIM-Signature", msg)


class UnixSocketTest(MilterCase):
    """unix:milter/opendkim.sock, relative to queue_directory: the same
    socket whether smtpd is jailed there (root) or not."""

    def test_unix_socket(self):
        self.start("unix:milter/opendkim.sock", "smtpd_spf = no\n")
        qdir = getattr(self.inst, "qdir", os.path.join(self.inst.dir,
                                                       "queue"))
        os.makedirs(os.path.join(qdir, "milter"), mode=0o755,
                    exist_ok=True)
        odk = OpenDkim(["Mode s", "Domain example.test"],
                       socket_path=os.path.join(qdir, "milter",
                                                "opendkim.sock"))
        self.addCleanup(odk.stop)
        code, text = self.send(message("unix-1"))
        self.assertEqual(code, 250, text)
        msg = self.inst.wait_message(BOB, b"unix-1")
        self.assertEqual(header_names(msg)[:2], ["Authentication-Results",
                                                 "DKIM-Signature"])


class SubmissionTest(MilterCase):
    """Milters see our own users' mail too, with {auth_authen} and
    {auth_type}: opendkim, told that 127.0.0.1 is not internal, signs
    only what an authenticated user sends."""

    def test_authenticated_user_signed(self):
        self.odk = OpenDkim(["Mode s", "Domain example.test",
                             "InternalHosts 192.0.2.1"])
        self.addCleanup(self.odk.stop)
        sub = free_port()
        self.start(f"inet:127.0.0.1:{self.odk.port}",
                   "smtpd_spf = no\nauth_failure_delay_max = 0s\n",
                   services=f"submission inet 127.0.0.1:{sub} - - - smtpd "
                   "-o smtpd_submission=yes\n"
                   "authd unix authd - - - authd "
                   "-o allowed_clients=submission\n"
                   "cryptd unix cryptd - - - cryptd "
                   "-o allowed_clients=authd\n")
        self.inst.add_user("alice@example.test", password="alice pw 1")
        with smtplib.SMTP("127.0.0.1", sub, timeout=30) as s:
            s.ehlo("laptop.example")
            s.starttls(context=client_tls())
            s.ehlo("laptop.example")
            s.login("alice@example.test", "alice pw 1")
            s.sendmail("alice@example.test", [BOB], message("sub-1"))
        self.assertEqual(self.send(message("sub-2"))[0], 250)
        self.assertIn(b"DKIM-Signature",
                      self.inst.wait_message(BOB, b"sub-1"))
        self.assertNotIn(b"DKIM-Signature",
                         self.inst.wait_message(BOB, b"sub-2"))


class PerServiceTest(MilterCase):
    """A milter on one service only (-o smtpd_milters=... in master.conf):
    the smtps service here has none."""

    def setUp(self):
        self.odk = OpenDkim(["Mode s", "Domain example.test"])
        self.addCleanup(self.odk.stop)
        self.start("", "smtpd_spf = no\n",
                   smtpd_opts="-o smtpd_milters=inet:127.0.0.1:"
                   f"{self.odk.port}")
        # The smtps line got the same -o; take it off there.
        path = os.path.join(self.inst.dir, "master.conf")
        with open(path) as f:
            lines = f.read().splitlines()
        lines = [l.replace(f" -o smtpd_milters=inet:127.0.0.1:"
                           f"{self.odk.port}", "")
                 if l.startswith("smtps ") else l for l in lines]
        self.inst.stop()
        self.inst.write("master.conf", "\n".join(lines) + "\n")
        self.inst.start()

    def test_only_the_service_with_the_milter(self):
        self.assertEqual(self.send(message("svc-1"))[0], 250)
        ctx = __import__("ssl").create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = 0
        with smtplib.SMTP_SSL("127.0.0.1", self.inst.smtps_port,
                              context=ctx, timeout=30) as s:
            s.sendmail("alice@example.test", [BOB], message("svc-2"))
        signed = self.inst.wait_message(BOB, b"svc-1")
        plain = self.inst.wait_message(BOB, b"svc-2")
        self.assertIn(b"DKIM-Signature", signed)
        self.assertNotIn(b"DKIM-Signature", plain)


class VerifyTest(MilterCase):
    """opendkim verifies signatures by signed.test (its key from a file;
    smtpd's own verifier asks dnsmasq)."""
    action = "reject"

    def setUp(self):
        self.dns = DnsServer([("txt", "sel._domainkey.signed.test",
                               f"v=DKIM1; k=rsa; p={KEY_PUB}")])
        self.addCleanup(self.dns.stop)
        # opendkim's resolver cannot be given a port (its unbound sent
        # nothing to the one configured): it reads the key from a file.
        keys = tempfile.NamedTemporaryFile(
            "w", prefix="postern-dkimkeys-", delete=False)
        keys.write(f"sel._domainkey.signed.test v=DKIM1; k=rsa; "
                   f"p={KEY_PUB}\n")
        keys.close()
        self.addCleanup(os.unlink, keys.name)
        self.odk = OpenDkim([
            "Mode v", f"TestPublicKeys {keys.name}",
            f"On-BadSignature {self.action}", "AuthservID milter.test"])
        self.addCleanup(self.odk.stop)
        self.start(f"inet:127.0.0.1:{self.odk.port}", "smtpd_spf = no\n"
                   f"dns_resolvers = {self.dns.resolvers}\n")

    def bad(self, marker):
        """A message whose body was changed after signing."""
        return sign(message(marker)).replace(b"Hello.", b"Hell0.")

    def test_good_signature_passes(self):
        code, text = self.send(sign(message("verify-1")))
        self.assertEqual(code, 250, text)
        msg = self.inst.wait_message(BOB, b"verify-1")
        self.assertIsNotNone(msg)
        # opendkim's own report, inserted at the top after ours.
        self.assertEqual(header_names(msg)[:2], ["Authentication-Results",
                                                 "Authentication-Results"])
        self.assertRegex(msg, rb"milter\.test;\s+dkim=pass",
                         msg.decode(errors="replace") + self.odk.output())

    def test_bad_signature(self):
        code, text = self.send(self.bad("verify-2"))
        self.assertEqual(code, 550, text)
        self.assertIn("5.7", text)
        self.assert_not_queued("verify-2")
        self.assertTrue(self.inst.wait_log(r": reject: DATA from "
                                           r"\[127\.0\.0\.1\]: 550"))


class DiscardTest(VerifyTest):
    action = "discard"

    def test_bad_signature(self):
        code, text = self.send(self.bad("discard-1"))
        self.assertEqual(code, 250, text)
        self.assertIn("discarded", text)
        self.assert_not_queued("discard-1")
        self.assertTrue(self.inst.wait_log(r": discard: DATA from "))


class DefaultActionTest(MilterCase):
    """Nothing listens on the milter's port."""

    def test_down_tempfail(self):
        self.start(f"inet:127.0.0.1:{free_port()}")
        code, text = self.send(message("down-1"))
        self.assertEqual(code, 451, text)
        self.assertIn("4.7.1", text)
        self.assert_not_queued("down-1")
        self.assertTrue(self.inst.wait_log(
            r"milter inet:127\.0\.0\.1:\d+: connect: Connection refused; "
            r"milter_default_action=tempfail"))

    def test_down_accept(self):
        self.start(f"inet:127.0.0.1:{free_port()}",
                   "milter_default_action = accept\n")
        code, text = self.send(message("down-2"))
        self.assertEqual(code, 250, text)
        self.assertIsNotNone(self.inst.wait_message(BOB, b"down-2"))

    def test_down_reject(self):
        self.start(f"inet:127.0.0.1:{free_port()}",
                   "milter_default_action = reject\n")
        code, text = self.send(message("down-3"))
        self.assertEqual(code, 550, text)
        self.assert_not_queued("down-3")

    def test_accept_skips_only_the_failed_milter(self):
        """Down first, opendkim second: with accept, opendkim still
        signs."""
        odk = OpenDkim(["Mode s", "Domain example.test"])
        self.addCleanup(odk.stop)
        self.start(f"inet:127.0.0.1:{free_port()}, "
                   f"inet:127.0.0.1:{odk.port}",
                   "milter_default_action = accept\nsmtpd_spf = no\n")
        self.assertEqual(self.send(message("down-4"))[0], 250)
        msg = self.inst.wait_message(BOB, b"down-4")
        self.assertIn(b"DKIM-Signature", msg)


class BrokenMilterTest(MilterCase):
    """The fake milter: too slow, garbage, a bad REPLYCODE."""

    def fake(self, mode):
        f = FakeMilter(mode)
        self.addCleanup(f.stop)
        return f

    def test_timeout_tempfail(self):
        f = self.fake("hang")
        self.start(f"inet:127.0.0.1:{f.port}",
                   "milter_command_timeout = 1s\n")
        t = time.monotonic()
        code, text = self.send(message("slow-1"))
        self.assertEqual(code, 451, text)
        self.assertLess(time.monotonic() - t, 10)
        self.assert_not_queued("slow-1")
        self.assertTrue(self.inst.wait_log(r"milter inet:[^ ]+: timeout; "
                                           r"milter_default_action="
                                           r"tempfail"))

    def test_timeout_accept(self):
        f = self.fake("hang")
        self.start(f"inet:127.0.0.1:{f.port}",
                   "milter_command_timeout = 1s\n"
                   "milter_default_action = accept\n")
        self.assertEqual(self.send(message("slow-2"))[0], 250)
        self.assertIsNotNone(self.inst.wait_message(BOB, b"slow-2"))

    def test_garbage(self):
        f = self.fake("garbage")
        self.start(f"inet:127.0.0.1:{f.port}")
        code, text = self.send(message("junk-1"))
        self.assertEqual(code, 451, text)
        self.assert_not_queued("junk-1")
        self.assertTrue(self.inst.wait_log(r"protocol error: unknown "
                                           r"reply"))

    def test_quarantine(self):
        f = self.fake("quarantine")
        self.start(f"inet:127.0.0.1:{f.port}")
        code, text = self.send(message("quarantine-1"))
        self.assertEqual(code, 250, text)
        msg = self.inst.wait_message(BOB, b"quarantine-1", folder="Junk")
        self.assertIsNotNone(msg, "not in Junk: " + self.inst.log())
        self.assertEqual(header_names(msg)[:3], ["Authentication-Results",
                                                 "X-Fake", "Received"])
        # CHGHEADER is not supported: the Subject stays.
        self.assertIn(b"Subject: quarantine-1", msg)
        self.assertFalse(any(b"quarantine-1" in m
                             for m in self.inst.mailbox(BOB)))
        self.assertTrue(self.inst.wait_log(r"quarantine: milter inet:[^ ]+"
                                           r": looks odd"))
        self.assertTrue(self.inst.wait_log(r"header_added=1, "
                                           r"header_dropped=0, "
                                           r"header_changes_ignored=1"))

    def test_rcpt_reject_at_end_of_data(self):
        """A milter's reject at RCPT, with its own reply, refuses the
        message at the end of DATA (every stage is seen there)."""
        f = self.fake("rcpt")
        self.start(f"inet:127.0.0.1:{f.port}")
        code, text = self.send(message("rcpt-1"))
        self.assertEqual(code, 554)
        self.assertEqual(text, "5.7.9 Not for this recipient")
        self.assert_not_queued("rcpt-1")

    def test_bad_replycode(self):
        f = self.fake("badcode")
        self.start(f"inet:127.0.0.1:{f.port}",
                   "milter_default_action = reject\n")
        code, text = self.send(message("code-1"))
        self.assertEqual(code, 550, text)
        self.assert_not_queued("code-1")
        self.assertTrue(self.inst.wait_log(r"bad REPLYCODE 250 2\.0\.0 "
                                           r"fine"))


if __name__ == "__main__":
    unittest.main()
