"""Start and drive a real Postern instance for the integration tests.

Everything runs on 127.0.0.1 with ports the kernel says are free, in a
temporary directory, and only processes this harness started are ever
signalled, by PID.
"""
import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SBIN = os.environ.get("POSTERN_SBIN", "")
LIBEXEC = os.environ.get("POSTERN_LIBEXEC", "")
ECHOD = os.environ.get("POSTERN_ECHOD", "")
POSTERN = os.path.join(SBIN, "postern")
IS_ROOT = os.geteuid() == 0


_given_ports = set()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, and
    that this process has not handed out before (the kernel may offer a
    port it just gave back, and an instance takes several at once)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _given_ports:
            _given_ports.add(port)
            return port


def wait_for(cond, timeout=5.0, step=0.02):
    """Poll cond() until it is true or timeout passes; return its value."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def pid_alive(pid):
    """Whether pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_of(ppid):
    """PIDs whose parent is ppid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid and fields[0] != "Z":
            out.append(int(d))
    return sorted(out)


def auth_results(msg):
    """The Authentication-Results fields at the top of a message (bytes),
    unfolded: a list of (authserv-id, {method: "result ptype.prop=..."}),
    first field first."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    out = []
    for m in re.finditer(r"^Authentication-Results:([^\r\n]*"
                         r"(?:\r\n[ \t][^\r\n]*)*)",
                         head, re.M | re.I):
        value = re.sub(r"\r\n[ \t]+", " ", m.group(1)).strip()
        parts = [p.strip() for p in value.split(";")]
        methods = {}
        for p in parts[1:]:
            if "=" in p:
                methods[p.split("=", 1)[0]] = p.split("=", 1)[1]
        out.append((parts[0], methods))
    return out


def client_tls():
    """A client TLS context for the tests' self-signed certificates."""
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_env():
    """The environment for Postern processes under test.

    Daemons exit from their event loop with their state still allocated,
    and cryptd-style non-dumpable processes cannot be inspected by
    LeakSanitizer, so leak checking is for the unit tests; every other
    sanitizer report still lands in the log and fails the test."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def postern(confdir, *args, input=None, check=False):
    """Run the postern command against an instance."""
    cmd = [POSTERN] + (["-c", confdir] if confdir else []) + list(args)
    return subprocess.run(cmd, input=input, capture_output=True, text=True,
                          timeout=60, check=check, env=test_env())


class Line:
    """A line-oriented client connection."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.f = self.sock.makefile("rb")

    def read(self):
        return self.f.readline().decode().rstrip("\r\n")

    def readable(self, timeout):
        """Whether the server has sent something within timeout."""
        import select
        return bool(select.select([self.sock], [], [], timeout)[0])

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def ask(self, line):
        self.send(line)
        return self.read()

    def close(self):
        self.f.close()
        self.sock.close()


def rsa_key():
    """A fresh RSA-2048 key: (private PEM bytes, public base64 DER)."""
    pem = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA",
                          "-pkeyopt", "rsa_keygen_bits:2048"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"],
                         input=pem, check=True, capture_output=True).stdout
    return pem, base64.b64encode(der).decode()


class DnsServer:
    """Debian's dnsmasq on 127.0.0.1 and a free port, answering only from
    the records given (names under .test; NXDOMAIN for the rest of .test,
    REFUSED for anything else, which resolvers take as a failure).
    records: ("txt", name, text), ("a", name, ip), ("mx", domain, host,
    preference), ("rr", name, type number, rdata as hex) for anything
    else (a null MX: ("rr", domain, 15, "000000"))."""

    def __init__(self, records):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="postern-dns-")
        args = ["dnsmasq", "--keep-in-foreground", "--no-resolv",
                "--no-hosts", "--no-poll", "--conf-file=/dev/null",
                f"--port={self.port}", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--local=/test/", "--log-facility=-",
                f"--pid-file={self.dir}/pid"]
        if os.geteuid() == 0:
            args.append("--user=root")
        for r in records:
            if r[0] == "txt":
                # Unquoted: dnsmasq keeps quotes given in argv; a
                # comma would split the text into strings.
                # Strings of at most 255 bytes (a DKIM key is longer).
                text = r[2]
                if len(text) > 255 and "," not in text:
                    text = ",".join(text[i:i + 255]
                                    for i in range(0, len(text), 255))
                args.append(f"--txt-record={r[1]},{text}")
            elif r[0] == "a":
                args.append(f"--host-record={r[1]},{r[2]}")
            elif r[0] == "mx":
                args.append(f"--mx-host={r[1]},{r[2]},{r[3]}")
            elif r[0] == "rr":
                args.append(f"--dns-rr={r[1]},{r[2]},{r[3]}")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if not wait_for(lambda: self._answers() or
                        self.proc.poll() is not None, 5) or \
                self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("dnsmasq did not start")

    def _answers(self):
        import struct
        pkt = (struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) +
               b"\x05probe\x04test\x00" + struct.pack(">HH", 1, 1))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(pkt, ("127.0.0.1", self.port))
                return len(s.recv(512)) > 0
            except OSError:
                return False

    @property
    def resolvers(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Instance:
    """A Postern instance made by `postern init` in a temporary directory."""

    def __init__(self, testcase=None):
        self.dir = tempfile.mkdtemp(prefix="postern-test-")
        if IS_ROOT:
            os.chmod(self.dir, 0o755)
        r = postern(None, "init", self.dir, "--domain", "example.test",
                    "--port-base", str(20000 + os.getpid() % 20000))
        if r.returncode != 0:
            raise RuntimeError("postern init failed: " + r.stderr)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "master.stderr")
        self.extra_env = {}     # for master and, through it, the daemons

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def append(self, name, text):
        with open(os.path.join(self.dir, name), "a") as f:
            f.write(text)

    def set_services(self, lines):
        self.write("master.conf", "\n".join(lines) + "\n")

    def start(self, expect_ok=True):
        """master in the foreground, its log on master.stderr."""
        before = len(self.log())        # a restart appends to the log
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(LIBEXEC, "master"), "-f", "-c", self.dir],
            stdout=subprocess.DEVNULL, stderr=err,
            env=dict(test_env(), **self.extra_env))
        err.close()
        if expect_ok:
            ok = wait_for(lambda: "daemon started" in self.log()[before:]
                          or self.proc.poll() is not None, 10)
            if self.proc.poll() is not None or not ok:
                raise RuntimeError("master did not start:\n" + self.log())
        return self.proc

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=5.0):
        """Wait until the log matches the regex; return the match."""
        rx = re.compile(pattern)
        return wait_for(lambda: rx.search(self.log()), timeout)

    def children(self):
        return children_of(self.proc.pid) if self.proc else []

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        """SIGTERM master; return its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def cleanup(self):
        kids = self.children()
        self.stop()
        # A master this test started in the background (postern start).
        try:
            with open(os.path.join(self.dir, "run", "master.pid")) as f:
                pid = int(f.read())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                ours = self.dir.encode() in f.read()
            if ours and pid_alive(pid):
                kids += children_of(pid)
                os.kill(pid, signal.SIGTERM)
                wait_for(lambda: not pid_alive(pid), 15)
        except (OSError, ValueError):
            pass
        for pid in kids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        sanitizer = [l for l in self.log().splitlines()
                     if "Sanitizer" in l or "runtime error:" in l]
        shutil.rmtree(self.dir, ignore_errors=True)
        return sanitizer


class MailInstance(Instance):
    """An instance with the mail path running: smtpd on free loopback
    ports (plain, and implicit TLS), qmgr and local, domain example.test,
    retries fast enough for tests."""

    def __init__(self, extra_conf="", smtpd_opts=""):
        super().__init__()
        self.smtp_port = free_port()
        self.smtps_port = free_port()
        self.set_services([
            f"smtp inet 127.0.0.1:{self.smtp_port} - - - smtpd {smtpd_opts}",
            f"smtps inet 127.0.0.1:{self.smtps_port} - - - smtpd "
            f"-o smtpd_tls_wrapper=yes {smtpd_opts}",
            # client_limit=2: every postern queue command must be let go.
            "qmgr unix qmgr - - 1 qmgr -o process_min=1 -o client_limit=2",
            "local unix local - - - local -o client_limit=1",
        ])
        self.append("postern.conf", "\nminimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\nqueue_run_delay = 1s\n"
                    # Cheap password hashing: tests log in many times.
                    "password_hash_ops = 1\npassword_hash_memory = 8m\n"
                    # Tests never reach beyond 127.0.0.0/8: without a
                    # DnsServer, DNS questions (spam scoring's HELO check,
                    # DMARC) go to a closed loopback port and fail at once.
                    + ("" if "dns_resolvers" in extra_conf else
                       "dns_resolvers = 127.0.0.1:9\n")
                    + extra_conf)

    def set_conf(self, name, value):
        """Replace (or add) one postern.conf setting."""
        path = os.path.join(self.dir, "postern.conf")
        with open(path) as f:
            lines = [l for l in f.read().splitlines()
                     if not re.match(rf"{name}\s*=", l)]
        lines.append(f"{name} = {value}")
        if name == "queue_directory":
            self.qdir = value
        self.write("postern.conf", "\n".join(lines) + "\n")

    def cmd(self, *args, input=None):
        return postern(self.dir, *args, input=input)

    PASSWORD = "test password 1"

    def add_user(self, address, *extra, password=None):
        self.passwords = getattr(self, "passwords", {})
        pw = password or self.PASSWORD
        r = self.cmd("user", "add", address, "--password-stdin", *extra,
                     input=pw + "\n")
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        self.passwords[address.lower()] = pw
        return r

    def mailbox_files(self, address, folder=""):
        """The stored (encrypted) message files of a mailbox."""
        user, domain = address.lower().split("@")
        base = os.path.join(self.dir, "store", domain, user)
        if folder:
            base = os.path.join(base, "." + folder)
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(base, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    def mailbox(self, address, folder=""):
        """The messages of a mailbox as bytes, decrypted the way a user
        gets them out: postern user export --maildir, with the password."""
        if not self.mailbox_files(address, folder):
            return []
        out = tempfile.mkdtemp(prefix="postern-export-")
        try:
            r = self.cmd("user", "export", "--password-stdin", "--maildir",
                         out, address,
                         input=self.passwords[address.lower()] + "\n")
            if r.returncode != 0:
                raise RuntimeError("export failed: " + r.stderr)
            base = os.path.join(out, "." + folder) if folder else out
            msgs = []
            for sub in ("new", "cur"):
                d = os.path.join(base, sub)
                if os.path.isdir(d):
                    for n in sorted(os.listdir(d)):
                        with open(os.path.join(d, n), "rb") as f:
                            msgs.append(f.read())
            return msgs
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def wait_mail(self, address, count, timeout=10.0, folder=""):
        wait_for(lambda: len(self.mailbox_files(address, folder)) >= count,
                 timeout)
        return self.mailbox(address, folder)

    def wait_message(self, address, marker, timeout=10.0, folder=""):
        """The first stored message of address containing marker (bytes),
        waiting for it to arrive; None if it does not."""
        def find():
            for m in self.mailbox(address, folder):
                if marker in m:
                    return m
            return None
        return wait_for(find, timeout, step=0.1)

    def queue_files(self, queue):
        qdir = getattr(self, "qdir", os.path.join(self.dir, "queue"))
        return [n for n in os.listdir(os.path.join(qdir, queue))
                if not n.startswith(".")]

    def queue_empty(self, timeout=10.0):
        qs = ("incoming", "active", "deferred", "tmp")
        return wait_for(lambda: not any(self.queue_files(q) for q in qs),
                        timeout)

    SETTLED = ("incoming", "active", "deferred", "hold", "corrupt")

    def queue_settled(self, timeout=60.0):
        """Wait until no message is queued.  Unlike queue_empty, tmp/ may
        keep what a killed smtpd was writing (qmgr removes it once no
        smtpd can still be at it): check it with tmp_contents."""
        return wait_for(lambda: not any(self.queue_files(q)
                                        for q in self.SETTLED), timeout)

    def tmp_contents(self):
        """The bytes of every file in queue/tmp/."""
        out = []
        for name in self.queue_files("tmp"):
            try:
                with open(os.path.join(self.dir, "queue", "tmp", name),
                          "rb") as f:
                    out.append(f.read())
            except FileNotFoundError:
                pass
        return out


class ImapInstance(MailInstance):
    """A MailInstance with imapd and pop3d on free loopback ports
    (143/110-style with STARTTLS/STLS, and 993/995-style implicit TLS),
    authd and cryptd."""

    def __init__(self, extra_conf="", imapd_opts="", pop3d_opts=""):
        super().__init__(extra_conf=extra_conf)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        self.append("master.conf",
                    f"imap inet 127.0.0.1:{self.imap_port} - - - imapd "
                    f"{imapd_opts}\n"
                    f"imaps inet 127.0.0.1:{self.imaps_port} - - - imapd "
                    f"-o imapd_tls_wrapper=yes {imapd_opts}\n"
                    f"pop3 inet 127.0.0.1:{self.pop3_port} - - - pop3d "
                    f"{pop3d_opts}\n"
                    f"pop3s inet 127.0.0.1:{self.pop3s_port} - - - pop3d "
                    f"-o pop3d_tls_wrapper=yes {pop3d_opts}\n"
                    "authd unix authd - - - authd "
                    "-o allowed_clients=imap,imaps,pop3,pop3s\n"
                    "cryptd unix cryptd - - - cryptd "
                    "-o allowed_clients=authd,imap,imaps,pop3,pop3s\n")

    def pop3(self, address=None, tls=False):
        """A poplib client, logged in as address when given."""
        import poplib
        if tls:
            c = poplib.POP3_SSL("127.0.0.1", self.pop3s_port,
                                context=client_tls(), timeout=30)
        else:
            c = poplib.POP3("127.0.0.1", self.pop3_port, timeout=30)
        if address:
            c.user(address)
            c.pass_(self.passwords[address.lower()])
        return c

    def imap(self, address=None, tls=False):
        """An imaplib client, logged in as address when given."""
        import imaplib
        if tls:
            c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port,
                                  ssl_context=client_tls(), timeout=30)
        else:
            c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
        if address:
            c.login(address, self.passwords[address.lower()])
        return c
