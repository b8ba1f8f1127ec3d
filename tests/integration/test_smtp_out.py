"""The smtp delivery agent (issue part 4): a Postern instance delivers to
scriptable SMTP sinks on 127.0.0.x, with MX records from dnsmasq: MX
preference and fallback, implicit and null MX, a transport_maps next
hop, STARTTLS (may, encrypt), 4xx deferred then delivered, 5xx bounced
to the sender, 8-bit mail and peers without 8BITMIME, PIPELINING and
connection reuse.  Assertions are on the bytes the sink received."""
import email
import email.policy
import hashlib
import itertools
import json
import os
import re
import smtplib
import socket
import shutil
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (DnsServer, MailInstance, auth_results, free_port,
                     wait_for)
from test_dkim_sign import zone_records

ALICE = "alice@example.test"
ALIASES = itertools.count(1)


class Sink:
    """An SMTP server on ip:port answering as scripted.  ehlo: the EHLO
    keywords offered (None: EHLO refused); tls: offer STARTTLS with the instance's
    certificate; replies: {"MAIL"|"RCPT"|"DATA"|"END": [reply, ...]},
    each used once, in order, before the default 2xx/354 answers."""

    def __init__(self, ip, port, ehlo=("PIPELINING", "SIZE 10240000",
                                       "8BITMIME", "SMTPUTF8"),
                 tls=None, replies=None, slow=0, mute=False,
                 greeting="220 sink.test ESMTP"):
        self.ehlo = list(ehlo) if ehlo is not None else None
        self.slow = slow        # seconds before answering the final dot
        self.mute = mute        # never greet
        self.greeting = greeting
        self.active = self.most_active = 0
        self.tls = tls
        self.replies = {k: list(v) for k, v in (replies or {}).items()}
        self.sessions = []
        self.lock = threading.Lock()
        self.socks = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                sink.serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((ip, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def reply(self, stage, default):
        with self.lock:
            q = self.replies.get(stage)
            return q.pop(0) if q else default

    def serve(self, sock):
        sess = {"tls": False, "commands": [], "messages": []}
        with self.lock:
            self.sessions.append(sess)
            self.socks.append(sock)
        f = sock.makefile("rb")
        conn = {"sock": sock}

        def send(line):
            conn["sock"].sendall(line.encode() + b"\r\n")

        if self.mute:
            while f.readline():
                pass
            return
        send(self.greeting)
        if not self.greeting.startswith("220"):
            f.readline()        # QUIT, we hope
            send("221 2.0.0 Bye")
            conn["sock"].close()
            return
        try:
            self.converse(conn, f, sess, send)
        finally:
            conn["sock"].close()

    def converse(self, conn, f, sess, send):
        msg = None
        while True:
            try:
                line = f.readline()
            except (OSError, ssl.SSLError):
                break
            if not line:
                break
            cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
            sess["commands"].append(cmd)
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO" and self.ehlo is None:
                send("502 5.5.2 Error: command not recognized")
            elif verb == "EHLO":
                ext = list(self.ehlo)
                if self.tls and not sess["tls"]:
                    ext.append("STARTTLS")
                lines = ["sink.test"] + ext
                for i, l in enumerate(lines):
                    send(("250 " if i == len(lines) - 1 else "250-") + l)
            elif verb == "HELO":
                send("250 sink.test")
            elif verb == "STARTTLS" and self.tls and not sess["tls"]:
                send("220 2.0.0 Ready to start TLS")
                try:
                    conn["sock"] = self.tls.wrap_socket(conn["sock"],
                                                        server_side=True)
                except (OSError, ssl.SSLError):
                    return      # the client refused our certificate
                f = conn["sock"].makefile("rb")
                sess["tls"] = True
            elif verb == "MAIL":
                r = self.reply("MAIL", "250 2.1.0 Ok")
                msg = {"mail": cmd, "rcpt": [], "at": time.monotonic()} \
                    if r[0] == "2" else None
                send(r)
            elif verb == "RCPT":
                r = self.reply("RCPT", "250 2.1.5 Ok")
                if r[0] == "2" and msg is not None:
                    msg["rcpt"].append(cmd)
                send(r)
            elif verb == "DATA":
                if msg is None or not msg["rcpt"]:
                    send("554 5.5.1 Error: no valid recipients")
                    continue
                r = self.reply("DATA", "354 End data with <CR><LF>.<CR><LF>")
                send(r)
                if r[0] != "3":
                    continue
                data = b""
                with self.lock:
                    self.active += 1
                    self.most_active = max(self.most_active, self.active)
                while True:
                    l = f.readline()
                    if not l or l == b".\r\n":
                        break
                    data += l
                time.sleep(self.slow)
                with self.lock:
                    self.active -= 1
                r = self.reply("END", "250 2.0.0 Ok: queued as SINK1")
                if r[0] == "2":
                    msg["data"] = data
                    sess["messages"].append(msg)
                msg = None
                send(r)
            elif verb == "RSET":
                msg = None
                send("250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                break
            elif verb == "NOOP":
                send("250 2.0.0 Ok")
            else:
                send("502 5.5.2 Error: command not recognized")

    def messages(self):
        with self.lock:
            return [m for s in self.sessions for m in s["messages"]]

    def wait_messages(self, n, timeout=15):
        return wait_for(lambda: len(self.messages()) >= n, timeout, 0.05)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def make_ca(d):
    """A CA and a certificate signed by it for mx.ver.test, in d: returns
    the CA file and a server context with that certificate."""
    def ossl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
         "-subj", "/CN=Postern Test CA", "-days", "2",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign")
    ossl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr",
         "-subj", "/CN=mx.ver.test")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:mx.ver.test\n")
    ossl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
         "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2",
         "-extfile", "ext")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "srv.pem"),
                        os.path.join(d, "srv.key"))
    return os.path.join(d, "ca.pem"), ctx


class AdResolver:
    """A scripted resolver on 127.0.0.1 that says it validated what it
    was told to (the AD bit, RFC 4035 3.2.3), as a validating resolver
    would for a signed zone: dnsmasq cannot sign test zones.  records:
    {(name, type): [rdata text]}; secure: the names answered with AD."""

    def __init__(self, records, secure):
        import dns.message  # python3-dnspython, Debian's interpreter
        self.records, self.secure = {}, set()
        for key, rdata in records.items():
            self.add(key, rdata, key[0] in secure)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def add(self, key, rdata, secure):
        name = key[0].lower().rstrip(".")
        self.records[(name, key[1].upper())] = rdata
        if secure:
            self.secure.add(name)

    def answer(self, wire):
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        qn = q.question[0]
        name = qn.name.to_text().lower().rstrip(".")
        rtype = dns.rdatatype.to_text(qn.rdtype)
        if (name, rtype) in self.records:
            r.answer.append(dns.rrset.from_text(
                qn.name, 60, "IN", rtype, *self.records[(name, rtype)]))
            if name in self.secure:
                r.flags |= dns.flags.AD
        elif not any(n == name for n, _ in self.records):
            r.set_rcode(dns.rcode.NXDOMAIN)
        return r.to_wire()

    def serve(self):
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(wire), peer)
            except Exception:   # a query we do not understand: no answer
                pass

    @property
    def resolvers(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.sock.close()


def spki_sha256(cert):
    """The SHA-256 of a certificate's public key (TLSA 3 1 1)."""
    pem = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey",
                          "-noout"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pem, check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def dsn_fields(raw):
    """The per-recipient fields of a DSN, lower-case names."""
    b = parse(raw)
    assert b.get_content_type() == "multipart/report"
    fields = {}
    for block in b.get_payload()[1].get_payload():
        for k, v in block.items():
            fields[k.lower()] = v
    return fields


class OutTest(unittest.TestCase):
    """What the classes below share: one instance (cls.inst) with the
    smtp-out service and the local user ALICE, a resolver (cls.dns),
    sinks on cls.port that each test stops, and relay()."""

    @classmethod
    def start_instance(cls, conf, prepare=None):
        cls.inst = MailInstance(
            f"dns_resolvers = {cls.dns.resolvers}\nsmtp_port = {cls.port}\n"
            + conf)
        cls.inst.append("master.conf", "smtp-out unix smtp-out - - - smtp "
                        "-o client_limit=1\n")
        if prepare is not None:
            prepare(cls.inst)
        cls.inst.start()
        cls.inst.add_user(ALICE)
        cls.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cls.tls.load_cert_chain(os.path.join(cls.inst.dir, "tls/cert.pem"),
                                os.path.join(cls.inst.dir, "tls/key.pem"))

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("SMTP_OUT_LOG"):
            print(cls.inst.log())
        problems = cls.inst.cleanup()
        cls.dns.stop()
        assert not problems, problems

    def setUp(self):
        self.sinks = []

    def tearDown(self):
        for s in self.sinks:
            s.stop()

    def sink(self, ip, port=None, **kw):
        s = Sink(ip, port or self.port, **kw)
        self.sinks.append(s)
        return s

    def relay(self, target, body, sender=ALICE, **kw):
        """Send body to the remote address target (or list of them),
        through an alias of example.test (plain smtpd relays to nobody
        else)."""
        alias = f"out{next(ALIASES)}@example.test"
        targets = [target] if isinstance(target, str) else target
        r = self.inst.cmd("alias", "add", alias, *targets)
        self.assertEqual(r.returncode, 0, r.stderr)
        with smtplib.SMTP("127.0.0.1", self.inst.smtp_port, timeout=30) as s:
            s.sendmail(sender, [alias], body, **kw)


class SmtpOutTest(OutTest):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.alt_port = free_port()
        cls.dns = DnsServer([
            # Preference 10 refuses connections, 20 takes the mail, 30
            # would too but must not be asked.
            ("mx", "fb.test", "mx1.fb.test", 10),
            ("mx", "fb.test", "mx2.fb.test", 20),
            ("mx", "fb.test", "mx3.fb.test", 30),
            ("a", "mx1.fb.test", "127.0.0.4"),
            ("a", "mx2.fb.test", "127.0.0.2"),
            ("a", "mx3.fb.test", "127.0.0.3"),
            ("a", "implicit.test", "127.0.0.3"),
            ("rr", "nullmx.test", 15, "000000"),
            ("mx", "tls.test", "mx.tls.test", 10),
            ("a", "mx.tls.test", "127.0.0.5"),
            ("mx", "enc.test", "mx.enc.test", 10),
            ("a", "mx.enc.test", "127.0.0.6"),
            ("mx", "tmp.test", "mx.tmp.test", 10),
            ("a", "mx.tmp.test", "127.0.0.7"),
            ("mx", "bad.test", "mx.bad.test", 10),
            ("a", "mx.bad.test", "127.0.0.8"),
            ("mx", "old.test", "mx.old.test", 10),
            ("a", "mx.old.test", "127.0.0.9"),
            ("mx", "reuse.test", "mx.reuse.test", 10),
            ("a", "mx.reuse.test", "127.0.0.10"),
            ("mx", "ver.test", "mx.ver.test", 10),
            ("a", "mx.ver.test", "127.0.0.11"),
            ("mx", "badver.test", "mx.badver.test", 10),
            ("a", "mx.badver.test", "127.0.0.12"),
            ("mx", "g5.test", "mx1.g5.test", 10),
            ("mx", "g5.test", "mx2.g5.test", 20),
            ("mx", "g1.test", "mx1.g5.test", 10),
            # IPv6 only: an IPv4-mapped address keeps it in 127.0.0.0/8.
            ("mx", "six.test", "mx.six.test", 10),
            ("a", "mx.six.test", "::ffff:127.0.0.20"),
            ("a", "mx1.g5.test", "127.0.0.18"),
            ("a", "mx2.g5.test", "127.0.0.19"),
            ("mx", "dsn.test", "mx.dsn.test", 10),
            ("a", "mx.dsn.test", "127.0.0.21"),
            ("mx", "nodsn.test", "mx.nodsn.test", 10),
            ("a", "mx.nodsn.test", "127.0.0.22"),
        ])
        cls.cadir = tempfile.mkdtemp(prefix="postern-ca-")
        cafile, cls.verified_tls = make_ca(cls.cadir)

        def maps(inst):
            for args in (("transport_maps", "route.test",
                          f"smtp:[127.0.0.2]:{cls.alt_port}"),
                         ("smtp_tls_policy_maps", "enc.test", "encrypt"),
                         ("smtp_tls_policy_maps", "ver.test", "verify"),
                         ("smtp_tls_policy_maps", "badver.test", "verify")):
                r = inst.cmd("map", "add", *args)
                assert r.returncode == 0, r.stderr
        cls.start_instance(
            "transport_maps = hash:$queue_directory/maps/transport\n"
            "smtp_tls_policy_maps = hash:$queue_directory/maps/tls_policy\n"
            "smtp_destination_concurrency_limit = 1\n"
            "smtp_connect_timeout = 5s\nsmtp_helo_timeout = 3s\n"
            "smtp_command_timeout = 10s\nsmtp_data_timeout = 10s\n"
            "smtp_connection_reuse_time = 5s\n"
            f"smtp_tls_ca_file = {cafile}\n", maps)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cadir, ignore_errors=True)
        super().tearDownClass()

    def bounce(self, marker):
        raw = self.inst.wait_message(ALICE, marker, timeout=20)
        self.assertIsNotNone(raw, self.inst.log()[-3000:])
        return raw

    def test_mx_preference_fallback_and_dot_stuffing(self):
        s2 = self.sink("127.0.0.2")
        s3 = self.sink("127.0.0.3")
        body = (b"Subject: fallback\r\nMessage-ID: <fb@test>\r\n\r\n"
                b"line one\r\n.hidden dot\r\n..two dots\r\n.\r\nend\r\n")
        self.relay("user@fb.test", body)
        self.assertTrue(s2.wait_messages(1), self.inst.log()[-3000:])
        m = s2.messages()[0]
        self.assertEqual(s3.messages(), [])
        # What was queued: smtpd prepends its Received: header.
        self.assertTrue(m["data"].endswith(
            b"line one\r\n..hidden dot\r\n...two dots\r\n..\r\nend\r\n"),
            m["data"])
        self.assertIn(b"Message-ID: <fb@test>\r\n", m["data"])
        self.assertRegex(m["mail"], r"^MAIL FROM:<alice@example\.test> "
                         r"SIZE=\d+$")
        size = int(m["mail"].rsplit("=", 1)[1])
        unstuffed = m["data"].replace(b"\r\n.", b"\r\n")
        self.assertEqual(size, len(unstuffed))
        self.assertEqual(m["rcpt"], ["RCPT TO:<user@fb.test>"])
        self.assertTrue(self.inst.wait_log(
            rf"to=<user@fb\.test>, relay=mx2\.fb\.test\[127\.0\.0\.2\]:"
            rf"{self.port}, delay=[\d.]+, dsn=2\.0\.0, status=sent "
            r"\(250 2\.0\.0 Ok: queued as SINK1\)"))
        # One line per delivery: qmgr does not log it again.
        self.assertEqual(self.inst.log().count("to=<user@fb.test>"), 1)
        # PIPELINING was offered: MAIL, RCPT and DATA went together.
        cmds = s2.sessions[0]["commands"]
        i = cmds.index(m["mail"])
        self.assertEqual(cmds[i + 1:i + 3], ["RCPT TO:<user@fb.test>",
                                             "DATA"])

    def test_dsn_parameters_passed_on(self):
        # RFC 3461 6.2.1: a server offering DSN gets them as they came,
        # and reports success itself: no notice from us.
        s = self.sink("127.0.0.21", ehlo=("PIPELINING", "SIZE 10240000",
                                         "DSN"))
        self.relay("user@dsn.test", b"Subject: dsn-on\r\n\r\nx\r\n",
                   mail_options=["RET=HDRS", "ENVID=env+2B1"],
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        m = s.messages()[0]
        self.assertRegex(m["mail"], r"^MAIL FROM:<alice@example\.test> "
                         r"SIZE=\d+ RET=HDRS ENVID=env\+2B1$")
        # ORCPT: the address the client gave (an alias here), as xtext.
        self.assertRegex(m["rcpt"][0], r"^RCPT TO:<user@dsn\.test> "
                         r"NOTIFY=SUCCESS,FAILURE "
                         r"ORCPT=rfc822;out\d+@example\.test$")
        self.assertTrue(self.inst.wait_log(r"to=<user@dsn\.test>.*"
                                           r"status=sent"))
        self.assertTrue(self.inst.queue_empty(10))
        self.assertEqual([n for n in self.inst.mailbox(ALICE)
                          if b"dsn-on" in n], [])
        # With another recipient still waiting (g1.test answers nobody
        # now), the retries that read the queue file again must not
        # send the notice the next hop owes.
        self.relay(["user2@dsn.test", "z@g1.test"],
                   b"Subject: dsn-two\r\n\r\nx\r\n",
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        self.assertTrue(s.wait_messages(2), self.inst.log()[-3000:])
        self.assertTrue(wait_for(lambda: self.inst.queue_files("deferred"),
                                 10))
        qid = self.inst.queue_files("deferred")[0]
        self.assertTrue(self.inst.wait_log(
            rf"{qid}: to=<z@g1\.test>, .*status=deferred"))
        before = len(re.findall(rf"{qid}: to=<z@g1\.test>, .*status="
                                "deferred", self.inst.log()))
        self.assertTrue(wait_for(lambda: len(re.findall(
            rf"{qid}: to=<z@g1\.test>, .*status=deferred",
            self.inst.log())) > before, 15), "no second try")
        time.sleep(1)       # what that try would have sent, sent by now
        self.assertNotRegex(self.inst.log(),
                            rf"{qid}: sender delivery status notification")
        self.assertEqual([n for n in self.inst.mailbox(ALICE)
                          if b"dsn-two" in n], [])
        self.assertEqual(self.inst.cmd("queue", "delete", qid).returncode,
                         0)
        # One that does not offer DSN is told nothing; our notice says
        # the message was relayed (RFC 3461 6.2.2).
        t = self.sink("127.0.0.22")
        self.relay("user@nodsn.test", b"Subject: dsn-off\r\n\r\nx\r\n",
                   mail_options=["RET=HDRS"],
                   rcpt_options=["NOTIFY=SUCCESS"])
        self.assertTrue(t.wait_messages(1), self.inst.log()[-3000:])
        m = t.messages()[0]
        self.assertRegex(m["mail"], r"^MAIL FROM:<alice@example\.test> "
                         r"SIZE=\d+$")
        self.assertEqual(m["rcpt"], ["RCPT TO:<user@nodsn.test>"])
        notice = self.bounce(b"dsn-off")
        self.assertIn(b"Successful Mail Delivery", notice)
        f = dsn_fields(notice)
        self.assertEqual(f["action"], "relayed")
        self.assertEqual(f["final-recipient"], "rfc822; user@nodsn.test")

    def test_5xx_greeting_skips_to_next_mx(self):
        no = self.sink("127.0.0.18", greeting="554 5.3.2 No SMTP here")
        yes = self.sink("127.0.0.19")
        self.relay("x@g5.test", b"Subject: next\r\n\r\nnext please\r\n")
        self.assertTrue(yes.wait_messages(1), self.inst.log()[-3000:])
        self.assertEqual(len(no.sessions), 1)
        self.assertEqual(no.messages(), [])
        # Only that host: deferred, not bounced.
        self.relay("y@g1.test", b"Subject: none\r\n\r\nwait\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<y@g1\.test>, relay=mx1\.g5\.test\[127\.0\.0\.18\]:\d+, "
            r".*dsn=4\.3\.2, status=deferred \(host mx1\.g5\.test"
            r"\[127\.0\.0\.18\] said: 554 5\.3\.2 No SMTP here \(in reply "
            r"to initial server greeting\)\)", 15), self.inst.log()[-3000:])
        r = self.inst.cmd("queue", "list", "--json")
        for e in json.loads(r.stdout):
            if "y@g1.test" in json.dumps(e):
                self.inst.cmd("queue", "delete", e["queue_id"])

    def test_aaaa_only_mx_host(self):
        s = self.sink("127.0.0.20")
        self.relay("x@six.test", b"Subject: six\r\n\r\nover AAAA\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(self.inst.wait_log(
            r"to=<x@six\.test>, relay=mx\.six\.test\[::ffff:127\.0\.0\.20\]"
            r":\d+, .*status=sent"))

    def test_implicit_mx(self):
        s = self.sink("127.0.0.3", ehlo=("8BITMIME",))
        self.relay("someone@implicit.test",
                   b"Subject: implicit\r\n\r\nno MX here\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertEqual(s.messages()[0]["rcpt"],
                         ["RCPT TO:<someone@implicit.test>"])
        # No SIZE offered: no SIZE= given.
        self.assertEqual(s.messages()[0]["mail"],
                         "MAIL FROM:<alice@example.test>")
        self.assertTrue(self.inst.wait_log(
            r"to=<someone@implicit\.test>, relay=implicit\.test"
            r"\[127\.0\.0\.3\]"))

    def test_null_mx_bounces(self):
        self.relay("nobody@nullmx.test", b"Subject: null\r\n"
                   b"Message-ID: <nullmx@test>\r\n\r\nx\r\n")
        raw = self.bounce(b"<nullmx@test>")
        f = dsn_fields(raw)
        self.assertEqual(f["status"], "5.1.10")
        self.assertEqual(f["action"], "failed")
        self.assertIn("does not accept mail (nullMX)", f["diagnostic-code"])
        self.assertTrue(self.inst.wait_log(
            r"to=<nobody@nullmx\.test>, relay=none, .*dsn=5\.1\.10, "
            r"status=bounced"))

    def test_transport_map_next_hop(self):
        s = self.sink("127.0.0.2", port=self.alt_port)
        self.relay("x@route.test", b"Subject: routed\r\n\r\nrouted\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertEqual(s.messages()[0]["rcpt"], ["RCPT TO:<x@route.test>"])
        self.assertTrue(self.inst.wait_log(
            rf"to=<x@route\.test>, relay=127\.0\.0\.2\[127\.0\.0\.2\]:"
            rf"{self.alt_port}, .*status=sent"))
        r = self.inst.cmd("map", "list", "transport_maps")
        self.assertIn(f"route.test\tsmtp:[127.0.0.2]:{self.alt_port}",
                      r.stdout)

    def test_expires_passed_on_remote_and_recorded_locally(self):
        """An Expires: field (expire(8)) goes out unchanged to a remote
        recipient; the local copy of the same message has its expiry
        recorded in the clear."""
        s = self.sink("127.0.0.2", port=self.alt_port)
        field = b"Expires: Tue, 1 Jan 2030 00:00:00 +0000\r\n"
        self.relay(["x@route.test", ALICE],
                   b"Subject: expiring both ways\r\n" + field +
                   b"\r\nbye\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertIn(b"\r\n" + field, s.messages()[0]["data"])
        self.assertIsNotNone(self.inst.wait_message(ALICE,
                                                    b"expiring both ways"))
        self.assertTrue(any(f.endswith(",E=1893456000") for f in
                            self.inst.mailbox_files(ALICE)))

    def test_starttls_when_offered(self):
        s = self.sink("127.0.0.5", tls=self.tls)
        self.relay("x@tls.test", b"Subject: tls\r\n\r\nsecret\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(s.sessions[0]["tls"])
        cmds = s.sessions[0]["commands"]
        # RFC 3207 4.2: EHLO again after the handshake.
        self.assertEqual([c.split()[0] for c in cmds[:3]],
                         ["EHLO", "STARTTLS", "EHLO"])
        self.assertTrue(self.inst.wait_log(
            r"Untrusted TLS connection established to mx\.tls\.test"
            r"\[127\.0\.0\.5\]:\d+: TLSv1\.[23]"))

    def test_encrypt_policy_defers_without_starttls(self):
        plain = self.sink("127.0.0.6")
        self.relay("x@enc.test", b"Subject: enc\r\n\r\nmust be private\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<x@enc\.test>, relay=mx\.enc\.test\[127\.0\.0\.6\]:\d+, "
            r".*dsn=4\.7\.4, status=deferred \(TLS is required, but was "
            r"not offered by host mx\.enc\.test\[127\.0\.0\.6\]\)", 15))
        self.assertEqual(plain.messages(), [])
        # The next try, with STARTTLS offered, goes through.
        plain.stop()
        self.sinks.remove(plain)
        s = self.sink("127.0.0.6", tls=self.tls)
        self.assertTrue(s.wait_messages(1, 20), self.inst.log()[-3000:])
        self.assertTrue(s.sessions[-1]["tls"])
        self.assertEqual(plain.messages(), [])

    def test_verify_policy_checks_chain_and_name(self):
        s = self.sink("127.0.0.11", tls=self.verified_tls)
        self.relay("x@ver.test", b"Subject: verified\r\n\r\nok\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(s.sessions[-1]["tls"])
        self.assertTrue(self.inst.wait_log(
            r"Verified TLS connection established to mx\.ver\.test"
            r"\[127\.0\.0\.11\]"))
        # The same certificate on a host of another name: no delivery.
        bad = self.sink("127.0.0.12", tls=self.verified_tls)
        self.relay("x@badver.test", b"Subject: wrong name\r\n\r\nno\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<x@badver\.test>, .*status=deferred \(TLS with "
            r"mx\.badver\.test\[127\.0\.0\.12\] failed: certificate "
            r"verification failed: hostname mismatch\)", 15),
            self.inst.log()[-3000:])
        self.assertEqual(bad.messages(), [])
        # And the instance's self-signed certificate fails the chain.
        bad.stop()
        self.sinks.remove(bad)
        self.sink("127.0.0.12", tls=self.tls)
        self.assertTrue(self.inst.wait_log(
            r"to=<x@badver\.test>, .*status=deferred \(TLS with "
            r"mx\.badver\.test\[127\.0\.0\.12\] failed: certificate "
            r"verification failed: self.signed certificate\)", 15),
            self.inst.log()[-3000:])
        r = self.inst.cmd("queue", "list", "--json")
        for e in json.loads(r.stdout):
            self.inst.cmd("queue", "delete", e["queue_id"])

    def test_silent_server_times_out(self):
        s = self.sink("127.0.0.7", mute=True)
        self.relay("quiet@tmp.test", b"Subject: hush\r\n\r\nx\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<quiet@tmp\.test>, relay=mx\.tmp\.test\[127\.0\.0\.7\]:"
            r"\d+, .*dsn=4\.4\.2, status=deferred \(conversation with "
            r"mx\.tmp\.test\[127\.0\.0\.7\] timed out while receiving "
            r"the initial server greeting\)", 15), self.inst.log()[-3000:])
        self.assertEqual(s.messages(), [])
        # Let it go: a later sink on this address must not get it.
        r = self.inst.cmd("queue", "list", "--json")
        for e in json.loads(r.stdout):
            if "quiet@tmp.test" in json.dumps(e):
                self.inst.cmd("queue", "delete", e["queue_id"])

    def test_4xx_deferred_then_delivered(self):
        s = self.sink("127.0.0.7", replies={
            "RCPT": ["451 4.3.0 <x@tmp.test>: try again later"]})
        self.relay("x@tmp.test", b"Subject: later\r\n\r\nsoon\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<x@tmp\.test>, relay=mx\.tmp\.test\[127\.0\.0\.7\]:\d+, "
            r".*dsn=4\.3\.0, status=deferred \(host mx\.tmp\.test"
            r"\[127\.0\.0\.7\] said: 451 4\.3\.0 <x@tmp\.test>: try again "
            r"later \(in reply to RCPT TO command\)\)", 15))
        self.assertTrue(s.wait_messages(1, 20), self.inst.log()[-3000:])
        self.assertTrue(self.inst.wait_log(
            r"to=<x@tmp\.test>, .*status=sent"))
        self.assertEqual(len(s.messages()), 1)
        self.assertTrue(self.inst.queue_empty(10))

    def test_5xx_bounces_to_sender(self):
        s = self.sink("127.0.0.8", replies={
            # A control character in the reply: it must not reach the
            # log or the bounce as it is.
            "RCPT": ["550 5.1.1 <nosuch@bad.test>: Recipient address "
                     "rejected: User unknown\x1b[0m"]})
        self.relay("nosuch@bad.test", b"Subject: bad\r\n"
                   b"Message-ID: <bad5xx@test>\r\n\r\nx\r\n")
        raw = self.bounce(b"<bad5xx@test>")
        f = dsn_fields(raw)
        self.assertEqual(f["status"], "5.1.1")
        self.assertEqual(f["final-recipient"], "rfc822; nosuch@bad.test")
        self.assertIn("host mx.bad.test[127.0.0.8] said: 550 5.1.1 "
                      "<nosuch@bad.test>: Recipient address rejected: User "
                      "unknown?[0m (in reply to RCPT TO command)",
                      f["diagnostic-code"].replace("\r\n ", " ")
                      .replace("\n ", " "))
        self.assertEqual(s.messages(), [])
        self.assertEqual(parse(raw)["Return-Path"], "<>")

    def test_8bit_and_peers_without_8bitmime(self):
        body = ("Subject: 8bit\r\nMessage-ID: <eight@test>\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n"
                "caf\u00e9 cr\u00e8me\r\n").encode()
        # A peer that offers 8BITMIME gets BODY=8BITMIME and the bytes.
        good = self.sink("127.0.0.2")
        self.relay("eight@fb.test", body, mail_options=["BODY=8BITMIME"])
        self.assertTrue(good.wait_messages(1), self.inst.log()[-3000:])
        m = good.messages()[0]
        self.assertIn(" BODY=8BITMIME", m["mail"])
        self.assertIn("caf\u00e9".encode(), m["data"])
        # One that does not: returned to the sender, not broken.
        old = self.sink("127.0.0.9", ehlo=("PIPELINING", "SIZE 1000000"))
        self.relay("x@old.test", body.replace(b"<eight@", b"<eight2@"),
                   mail_options=["BODY=8BITMIME"])
        f = dsn_fields(self.bounce(b"<eight2@test>"))
        self.assertEqual(f["status"], "5.6.3")
        self.assertIn("does not announce 8BITMIME", f["diagnostic-code"])
        self.assertEqual(old.messages(), [])
        # Declared 8-bit but all ASCII: sent, without BODY=.
        self.relay("y@old.test", b"Subject: ascii\r\n\r\nplain\r\n",
                   mail_options=["BODY=8BITMIME"])
        self.assertTrue(old.wait_messages(1), self.inst.log()[-3000:])
        self.assertEqual(old.messages()[0]["mail"],
                         "MAIL FROM:<alice@example.test> SIZE=%s" %
                         old.messages()[0]["mail"].rsplit("=", 1)[1])

    def test_smtputf8_as_offered(self):
        sender = "j\u00f6rg@client.test"
        body = "Subject: gr\u00fc\u00dfe\r\n\r\nutf8\r\n".encode()
        good = self.sink("127.0.0.2")
        self.relay("u8@fb.test", body, sender=sender,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertTrue(good.wait_messages(1), self.inst.log()[-3000:])
        mail = good.messages()[0]["mail"]
        self.assertTrue(mail.startswith(f"MAIL FROM:<{sender}> SIZE="), mail)
        self.assertTrue(mail.endswith(" BODY=8BITMIME SMTPUTF8"), mail)
        # A peer without SMTPUTF8 cannot take a UTF-8 address.
        old = self.sink("127.0.0.9", ehlo=("8BITMIME",))
        self.relay("u8@old.test", body, sender=sender,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertTrue(self.inst.wait_log(
            r"to=<u8@old\.test>, .*dsn=5\.6\.7, status=bounced \(host "
            r"mx\.old\.test\[127\.0\.0\.9\] does not announce SMTPUTF8",
            15), self.inst.log()[-3000:])
        self.assertEqual(old.messages(), [])

    def test_size_limit_of_peer_bounces(self):
        s = self.sink("127.0.0.9", ehlo=("SIZE 100",))
        self.relay("big@old.test", b"Subject: big\r\nMessage-ID: <big@t>"
                   b"\r\n\r\n" + b"x" * 300 + b"\r\n")
        f = dsn_fields(self.bounce(b"<big@t>"))
        self.assertEqual(f["status"], "5.3.4")
        self.assertEqual(s.messages(), [])

    def test_connection_reuse_without_pipelining(self):
        s = self.sink("127.0.0.10", ehlo=("8BITMIME",))
        self.relay("a@reuse.test", b"Subject: one\r\n\r\nfirst\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.relay("b@reuse.test", b"Subject: two\r\n\r\nsecond\r\n")
        self.assertTrue(s.wait_messages(2), self.inst.log()[-3000:])
        # Both in one TCP connection, the second after RSET.
        self.assertEqual(len(s.sessions), 1, s.sessions)
        cmds = s.sessions[0]["commands"]
        self.assertEqual([c.split(":")[0].split()[0] for c in cmds],
                         ["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL",
                          "RCPT", "DATA"])

    def test_check_reads_the_routing_tables(self):
        r = self.inst.cmd("check")
        self.assertNotIn("transport_maps", r.stderr)
        self.assertNotIn("smtp_tls", r.stderr)
        for args in (("smtp_tls_policy_maps", "odd.test", "sometimes"),
                     ("transport_maps", "odd.test", "lmtp:[127.0.0.1]")):
            self.assertEqual(self.inst.cmd("map", "add", *args).returncode,
                             0)
        try:
            r = self.inst.cmd("check")
            self.assertEqual(r.returncode, 1)
            self.assertIn('smtp_tls_policy_maps: odd.test: "sometimes" is '
                          'not none, may, encrypt or verify', r.stderr)
            self.assertIn('transport_maps: odd.test: "lmtp:[127.0.0.1]" is '
                          'not smtp:nexthop', r.stderr)
        finally:
            for t in ("smtp_tls_policy_maps", "transport_maps"):
                self.inst.cmd("map", "del", t, "odd.test")

    def test_helo_when_ehlo_refused(self):
        s = self.sink("127.0.0.10", ehlo=None)
        self.relay("h@reuse.test", b"Subject: helo\r\n\r\nold\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        cmds = s.sessions[-1]["commands"]
        self.assertTrue(any(c.startswith("HELO ") for c in cmds), cmds)


class TwoInstanceTest(unittest.TestCase):
    """Two Postern instances, A on 127.0.0.1 (domain a.test) and B on
    127.0.0.2 (domain b.test), on the same SMTP port, each the MX of its
    domain: mail goes across both ways, a remote 4xx is tried again after
    the back-off, and a remote 5xx comes back to the sender as a DSN."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.sub = free_port()
        conf = (f"smtp_port = {cls.port}\nsmtp_connect_timeout = 5s\n"
                "smtp_helo_timeout = 10s\nsmtp_command_timeout = 10s\n"
                "smtp_data_timeout = 10s\nauth_failure_delay_max = 0s\n")
        cls.a, cls.b = MailInstance(conf), MailInstance(conf)
        for inst, ip, domain, extra in (
                (cls.a, "127.0.0.1", "a.test", ""),
                # One connection at a time per client: a second one is
                # answered 421 4.7.0.
                (cls.b, "127.0.0.2", "b.test",
                 " -o smtpd_client_connection_limit=1")):
            inst.smtp_port = cls.port
            inst.smtp_ip = ip
            inst.set_conf("myhostname", f"mx.{domain}")
            inst.set_services([
                f"smtp inet {ip}:{cls.port} - - - smtpd{extra}",
                "qmgr unix qmgr - - 1 qmgr -o process_min=1 "
                "-o client_limit=2",
                "local unix local - - - local -o client_limit=1",
                "smtp-out unix smtp-out - - - smtp -o client_limit=1",
            ])
            r = inst.cmd("domain", "add", domain)
            assert r.returncode == 0, r.stderr
        # A: submission for its users, and DKIM keys for a.test (both
        # kinds), published below with what keygen printed.
        cls.a.append("master.conf",
                     f"submission inet 127.0.0.1:{cls.sub} - - - smtpd "
                     "-o smtpd_submission=yes\n"
                     "authd unix authd - - - authd "
                     "-o allowed_clients=submission\n"
                     "cryptd unix cryptd - - - cryptd "
                     "-o allowed_clients=authd,smtp-out\n")
        r = cls.a.cmd("dkim", "keygen", "a.test", "s1")
        assert r.returncode == 0, r.stderr
        keys = [("txt", name, text)
                for name, text in zone_records(r.stdout).items()]
        cls.dns = DnsServer(keys + [
            ("mx", "a.test", "mx.a.test", 10),
            ("a", "mx.a.test", "127.0.0.1"),
            ("mx", "b.test", "mx.b.test", 10),
            ("a", "mx.b.test", "127.0.0.2"),
            ("txt", "a.test", "v=spf1 ip4:127.0.0.1 -all"),
            ("txt", "_dmarc.a.test", "v=DMARC1; p=reject; adkim=s"),
        ])
        fd, cls.psl = tempfile.mkstemp(prefix="postern-psl-")
        with os.fdopen(fd, "w") as f:
            f.write("test\n")
        for inst in (cls.a, cls.b):
            inst.set_conf("dns_resolvers", cls.dns.resolvers)
            inst.set_conf("dmarc_public_suffix_list", cls.psl)
            inst.start()
        cls.a.add_user("alice@a.test", password="alice pw")
        cls.b.add_user("bob@b.test")
        for inst, alias, target in ((cls.a, "tobob@a.test", "bob@b.test"),
                                    (cls.a, "tonobody@a.test",
                                     "nosuch@b.test"),
                                    (cls.b, "toalice@b.test",
                                     "alice@a.test")):
            r = inst.cmd("alias", "add", alias, target)
            assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        problems = cls.a.cleanup() + cls.b.cleanup()
        cls.dns.stop()
        os.unlink(cls.psl)
        assert not problems, problems

    def send(self, inst, sender, rcpt, body):
        with smtplib.SMTP(inst.smtp_ip, inst.smtp_port, timeout=30) as s:
            s.sendmail(sender, [rcpt], body)

    def test_both_ways(self):
        self.send(self.b, "bob@b.test", "toalice@b.test",
                  b"Subject: b to a\r\nMessage-ID: <b2a@test>\r\n\r\nhi\r\n")
        m = self.a.wait_message("alice@a.test", b"<b2a@test>", timeout=20)
        self.assertIsNotNone(m, self.b.log()[-3000:])
        self.assertIn(b"Return-Path: <bob@b.test>", m)
        self.assertTrue(self.b.wait_log(
            rf"to=<alice@a\.test>, relay=mx\.a\.test\[127\.0\.0\.1\]:"
            rf"{self.port}, .*status=sent"))

    def test_submission_signed_and_verified_over_starttls(self):
        # Alice logs in to A's submission port and writes to Bob on B.
        with smtplib.SMTP("127.0.0.1", self.sub, timeout=30) as s:
            s.login("alice@a.test", "alice pw")
            s.sendmail("alice@a.test", ["bob@b.test"],
                       b"From: Alice <alice@a.test>\r\nTo: bob@b.test\r\n"
                       b"Subject: signed\r\nMessage-ID: <sub@a.test>\r\n"
                       b"\r\nHello Bob.\r\n")
        m = self.b.wait_message("bob@b.test", b"<sub@a.test>", timeout=20)
        self.assertIsNotNone(m, self.a.log()[-3000:])
        head = m.split(b"\r\n\r\n", 1)[0]
        # A signed it twice (RFC 8463 dual signing)...
        sigs = re.findall(rb"^DKIM-Signature:.*?(?=\r\n[^ \t])", head,
                          re.M | re.S)
        self.assertEqual(len(sigs), 2, self.a.log()[-3000:])
        self.assertTrue(any(b"a=ed25519-sha256" in x for x in sigs))
        self.assertTrue(any(b"a=rsa-sha256" in x for x in sigs))
        # ...sent it over STARTTLS...
        self.assertRegex(head, rb"Received: from mx\.a\.test \(\[127\.0"
                         rb"\.0\.1\]\)\r\n\tby mx\.b\.test \(Postern\) with "
                         rb"ESMTPS id \w+\r\n\t\(using TLSv1\.3")
        # ...and B found all three in order (its own field, on top).
        ours = [f for ident, f in auth_results(m) if ident == "mx.b.test"]
        self.assertEqual(len(ours), 1, head)
        self.assertEqual(ours[0]["spf"], "pass smtp.mailfrom=alice@a.test")
        self.assertEqual(ours[0]["dmarc"],
                         "pass (p=reject dis=none) header.from=a.test")
        self.assertEqual(len(re.findall(
            rb"dkim=pass header\.d=a\.test header\.s=s1-(?:ed25519|rsa) ",
            head)), 2, head)
        # A's own field (auth=pass) came along, under its own name.
        self.assertIn(("mx.a.test", {"auth": "pass smtp.auth=alice@a.test"}),
                      auth_results(m))

    def test_remote_4xx_retried_after_backoff(self):
        # Hold B's one allowed connection from 127.0.0.1.
        hold = smtplib.SMTP("127.0.0.2", self.port, timeout=30)
        hold.ehlo("holder.test")
        try:
            self.send(self.a, "alice@a.test", "tobob@a.test",
                      b"Subject: later\r\nMessage-ID: <a2b@test>\r\n\r\n"
                      b"after a 421\r\n")
            self.assertTrue(self.a.wait_log(
                r"to=<bob@b\.test>, relay=mx\.b\.test\[127\.0\.0\.2\]:"
                r"\d+, .*dsn=4\.7\.0, status=deferred \(host mx\.b\.test"
                r"\[127\.0\.0\.2\] said: 421 4\.7\.0 .*too many "
                r".*\(in reply to initial server greeting\)\)", 15),
                self.a.log()[-3000:])
            self.assertEqual(self.b.mailbox_files("bob@b.test"), [])
        finally:
            hold.quit()
        m = self.b.wait_message("bob@b.test", b"<a2b@test>", timeout=20)
        self.assertIsNotNone(m, self.a.log()[-3000:])
        self.assertIn(b"after a 421", m)
        self.assertTrue(self.a.wait_log(r"to=<bob@b\.test>, .*status=sent"))
        self.assertTrue(self.a.queue_empty(10))

    def test_remote_5xx_returns_a_dsn(self):
        self.send(self.a, "alice@a.test", "tonobody@a.test",
                  b"Subject: nobody\r\nMessage-ID: <a2x@test>\r\n\r\nx\r\n")
        raw = self.a.wait_message("alice@a.test", b"<a2x@test>", timeout=20)
        self.assertIsNotNone(raw, self.a.log()[-3000:])
        f = dsn_fields(raw)
        self.assertEqual(f["status"], "5.1.1")
        self.assertEqual(f["final-recipient"], "rfc822; nosuch@b.test")
        self.assertIn("host mx.b.test[127.0.0.2] said: 550 5.1.1",
                      f["diagnostic-code"].replace("\r\n ", " ")
                      .replace("\n ", " "))


class DaneTest(OutTest):
    """DANE (RFC 7672) with smtp_dns_support_level = dnssec: validated
    TLSA records authenticate the MX host's certificate; a mismatch
    defers; records without the resolver's AD bit are not used."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.dns = AdResolver({}, [])
        cls.start_instance("smtp_dns_support_level = dnssec\n"
                           "smtp_connect_timeout = 5s\n")
        # The sinks show the instance's own certificate.
        cert = os.path.join(cls.inst.dir, "tls/cert.pem")
        good = f"3 1 1 {spki_sha256(cert)}"
        bad = "3 1 1 " + "00" * 32
        # domain, MX host address, TLSA, MX answer validated, TLSA
        # answer validated
        for dom, ip, tlsa, mx_ad, tlsa_ad in (
                ("dane.test", "127.0.0.13", good, True, True),
                ("badtlsa.test", "127.0.0.14", bad, True, True),
                ("insecure.test", "127.0.0.15", bad, True, False),
                ("insecuremx.test", "127.0.0.17", bad, False, True)):
            mx = "mx." + dom
            cls.dns.add((dom, "MX"), [f"10 {mx}."], mx_ad)
            cls.dns.add((mx, "A"), [ip], True)
            cls.dns.add((f"_{cls.port}._tcp.{mx}", "TLSA"), [tlsa],
                        tlsa_ad)

    def sink(self, ip):
        return super().sink(ip, tls=self.tls)

    def test_tlsa_match_delivers(self):
        s = self.sink("127.0.0.13")
        self.relay("x@dane.test", b"Subject: dane\r\n\r\npinned\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(s.sessions[-1]["tls"])
        self.assertTrue(self.inst.wait_log(
            r"DANE-verified TLS connection established to mx\.dane\.test"
            r"\[127\.0\.0\.13\]"))

    def test_tlsa_mismatch_defers(self):
        s = self.sink("127.0.0.14")
        self.relay("x@badtlsa.test", b"Subject: mitm\r\n\r\nno\r\n")
        self.assertTrue(self.inst.wait_log(
            r"to=<x@badtlsa\.test>, .*status=deferred \(TLS with "
            r"mx\.badtlsa\.test\[127\.0\.0\.14\] failed: certificate "
            r"verification failed: no matching DANE TLSA records\)", 15),
            self.inst.log()[-3000:])
        self.assertEqual(s.messages(), [])

    def test_tlsa_of_an_unvalidated_mx_host_is_not_used(self):
        # RFC 7672 2.2.1: an MX host name from an insecure answer could
        # be anyone's; its TLSA records prove nothing.
        s = self.sink("127.0.0.17")
        self.relay("x@insecuremx.test", b"Subject: mx\r\n\r\nok\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(self.inst.wait_log(
            r"Untrusted TLS connection established to "
            r"mx\.insecuremx\.test"))

    def test_tlsa_without_ad_bit_is_not_used(self):
        s = self.sink("127.0.0.15")
        self.relay("x@insecure.test", b"Subject: insecure\r\n\r\nok\r\n")
        self.assertTrue(s.wait_messages(1), self.inst.log()[-3000:])
        self.assertTrue(self.inst.wait_log(
            r"Untrusted TLS connection established to mx\.insecure\.test"))


class DestinationLimitsTest(OutTest):
    """qmgr's per-next-hop limits: smtp_destination_concurrency_limit
    deliveries at once, started smtp_destination_rate_delay apart."""

    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.dns = DnsServer([("mx", "lim.test", "mx.lim.test", 10),
                             ("a", "mx.lim.test", "127.0.0.16"),
                             ("mx", "free.test", "mx.free.test", 10),
                             ("a", "mx.free.test", "127.0.0.17")])
        cls.start_instance("smtp_destination_concurrency_limit = 2\n"
                           "smtp_destination_rate_delay = 1s\n")

    def test_concurrency_and_rate(self):
        s = self.sink("127.0.0.16", slow=2.5)
        rcpts = [f"r{i}@lim.test" for i in range(4)]
        self.relay(rcpts, b"Subject: limits\r\n\r\nfour of us\r\n")
        self.assertTrue(s.wait_messages(4, 30), self.inst.log()[-3000:])
        starts = sorted(m["at"] for m in s.messages())
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        self.assertTrue(all(g >= 0.9 for g in gaps), gaps)
        # Each takes 2.5 s and the rate lets one start a second:
        # without the concurrency limit three would overlap.
        self.assertEqual(s.most_active, 2)
        self.assertEqual(sorted(r for m in s.messages()
                                for r in m["rcpt"]),
                         [f"RCPT TO:<{r}>" for r in rcpts])

    def test_busy_next_hop_holds_up_no_other(self):
        # lim.test has a backlog (two at a time, 2.5 s each, a second
        # apart); mail for free.test, queued after it, goes at once.
        slow = self.sink("127.0.0.16", slow=2.5)
        quick = self.sink("127.0.0.17")
        self.relay([f"b{i}@lim.test" for i in range(6)],
                   b"Subject: backlog\r\n\r\nwaiting\r\n")
        self.assertTrue(wait_for(lambda: slow.active > 0, 10))
        self.relay("x@free.test", b"Subject: free\r\n\r\nnot stuck\r\n")
        self.assertTrue(quick.wait_messages(1, 30), self.inst.log()[-3000:])
        self.assertLess(len(slow.messages()), 6)
        self.assertTrue(slow.wait_messages(6, 40), self.inst.log()[-3000:])
        self.assertEqual(slow.most_active, 2)


if __name__ == "__main__":
    unittest.main()
