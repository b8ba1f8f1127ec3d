"""mailservers - the servers the mail benchmarks run side by side

Postern (`postern init` in a temporary directory, USERS users with
MESSAGES messages each delivered through smtpd, so stored encrypted) and
a private Dovecot 2.3 (its own dovecot.conf, the same messages as plain
Maildir files), both serving IMAP and POP3 on loopback ports.  Dovecot is
set up as its documentation says for speed: login and imap processes
reused (service_count = 0), raised client_limits, hibernation of IDLE
clients.  Both hash passwords with Argon2id at Postern's default cost.
Also: process trees, their PSS and CPU time, and the messages.
"""
import os
import shutil
import socket
import subprocess
import time

USERS = 20
MESSAGES = 50
PASSWORD = "bench password"


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


def tree(pid):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack += kids.get(p, [])
    return out


def pss_kb(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                v = f.read().rsplit(")", 1)[1].split()
            total += int(v[11]) + int(v[12])
            if p == pid:
                total += int(v[13]) + int(v[14])
        except (OSError, ValueError):
            pass
    return total / tick


def message(user, i):
    if i % 5 == 4:
        return (f"From: Sender {i} <s{i}@example.org>\r\nTo: {user}\r\n"
                f"Subject: report {i}\r\nDate: Tue, 24 Nov 2026 10:00:00 "
                f"+0100\r\nMessage-ID: <{i}.{user}>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                "Content-Type: text/plain\r\n\r\nSee the attachment.\r\n"
                "--b\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
                + ("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n" * 90) +
                "--b--\r\n")
    return (f"From: Sender {i} <s{i}@example.org>\r\nTo: {user}\r\n"
            f"Subject: note {i}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
            f"Message-ID: <{i}.{user}>\r\n\r\n"
            + (f"Line {i} of a message about apples and pears.\r\n" * 80))


class Postern:
    name = "Postern"

    def __init__(self, build, top):
        self.dir = os.path.join(top, "postern")
        self.port = free_port()         # IMAP
        self.imaps = free_port()
        self.pop3 = free_port()
        self.smtp = free_port()
        self.sbin = os.path.join(build, "sbin", "postern")
        subprocess.run([self.sbin, "init", self.dir, "--domain",
                        "bench.test"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "master.conf"), "w") as f:
            f.write(f"smtp inet 127.0.0.1:{self.smtp} - - - smtpd\n"
                    "qmgr unix qmgr - - 1 qmgr -o process_min=1\n"
                    "local unix local - - - local\n"
                    f"imap inet 127.0.0.1:{self.port} - - - imapd "
                    "-o client_limit=5000 -o max_use=0\n"
                    f"imaps inet 127.0.0.1:{self.imaps} - - - imapd "
                    "-o client_limit=5000 -o max_use=0 "
                    "-o imapd_tls_wrapper=yes\n"
                    f"pop3 inet 127.0.0.1:{self.pop3} - - - pop3d "
                    "-o client_limit=5000 -o max_use=0\n"
                    "authd unix authd - - - authd "
                    "-o allowed_clients=imap,imaps,pop3\n"
                    "cryptd unix cryptd - - - cryptd "
                    "-o allowed_clients=authd,imap,imaps,pop3\n")
        with open(os.path.join(self.dir, "postern.conf"), "a") as f:
            f.write("imapd_user_connection_limit = 0\n"
                    "imapd_cleartext_login = yes\n"
                    "pop3d_user_connection_limit = 0\n"
                    "pop3d_cleartext_login = yes\n"
                    "smtpd_client_connection_limit = 0\n")
        for u in range(USERS):
            subprocess.run([self.sbin, "-c", self.dir, "user", "add",
                            f"u{u}@bench.test", "--password-stdin"],
                           check=True, input=(PASSWORD + "\n").encode(),
                           stdout=subprocess.DEVNULL)

    def start(self):
        subprocess.run([self.sbin, "-c", self.dir, "start"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "run", "master.pid")) as f:
            self.pid = int(f.read())
        import smtplib
        with smtplib.SMTP("127.0.0.1", self.smtp) as s:
            for u in range(USERS):
                for i in range(MESSAGES):
                    s.sendmail("s@example.org", [f"u{u}@bench.test"],
                               message(f"u{u}@bench.test", i).encode())
        store = os.path.join(self.dir, "store", "bench.test")
        deadline = time.monotonic() + 300
        while sum(len(os.listdir(os.path.join(store, f"u{u}", "new")))
                  + len(os.listdir(os.path.join(store, f"u{u}", "cur")))
                  for u in range(USERS)) < USERS * MESSAGES:
            if time.monotonic() > deadline:
                raise RuntimeError("Postern: delivery did not finish")
            time.sleep(0.1)

    def stop(self):
        subprocess.run([self.sbin, "-c", self.dir, "stop"],
                       stdout=subprocess.DEVNULL)


class Dovecot:
    name = "Dovecot"

    def __init__(self, top):
        self.dir = os.path.join(top, "dovecot")
        self.port = free_port()         # IMAP
        self.imaps = free_port()
        self.pop3 = free_port()
        # The certificate `postern init` made (top/postern/tls).
        tls = os.path.join(top, "postern", "tls")
        os.makedirs(os.path.join(self.dir, "run"))
        os.makedirs(os.path.join(self.dir, "mail"))
        shutil.chown(os.path.join(self.dir, "mail"), "mail", "mail")
        # Postern's default Argon2id cost: 2 passes over 64 MiB.
        h = subprocess.run(["doveadm", "pw", "-s", "ARGON2ID", "-r", "2",
                            "-p", PASSWORD], capture_output=True,
                           text=True, check=True).stdout.strip()
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for u in range(USERS):
                f.write(f"u{u}@bench.test:{h}\n")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {self.dir}/run
state_dir = {self.dir}/run
log_path = {self.dir}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3
pop3_uidl_format = %08Xu%08Xv
ssl = yes
ssl_cert = <{tls}/cert.pem
ssl_key = <{tls}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{self.dir}/mail/%n
mail_uid = mail
mail_gid = mail
mail_max_userip_connections = 10000
default_client_limit = 10000
default_vsz_limit = 0
imap_hibernate_timeout = 2s
passdb {{
  driver = passwd-file
  args = {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={self.dir}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps}
    ssl = yes
  }}
  service_count = 0
  process_min_avail = 2
  client_limit = 10000
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
  service_count = 0
  process_min_avail = 2
  client_limit = 10000
}}
service pop3 {{
  process_limit = 1000
}}
service imap {{
  service_count = 0
  client_limit = 1000
  process_limit = 1000
  extra_groups = dovecot
  unix_listener imap-master {{
    user = dovecot
  }}
}}
service imap-hibernate {{
  client_limit = 10000
  unix_listener imap-hibernate {{
    mode = 0660
    group = dovecot
  }}
}}
service anvil {{
  client_limit = 20000
}}
service auth {{
  client_limit = 20000
}}
""")

    def start(self):
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        deadline = time.monotonic() + 10
        pidfile = os.path.join(self.dir, "run", "master.pid")
        while not os.path.exists(pidfile):
            if time.monotonic() > deadline:
                raise RuntimeError("Dovecot did not start")
            time.sleep(0.05)
        with open(pidfile) as f:
            self.pid = int(f.read())
        # The same messages, as plain Maildir files.
        for u in range(USERS):
            d = os.path.join(self.dir, "mail", f"u{u}")
            for sub in ("new", "cur", "tmp"):
                os.makedirs(os.path.join(d, sub), exist_ok=True)
            for i in range(MESSAGES):
                with open(os.path.join(d, "new", f"{1700000000 + i}.b{i}"
                                       ".bench"), "wb") as f:
                    f.write(message(f"u{u}@bench.test", i).encode())
            subprocess.run(["chown", "-R", "mail:mail", d], check=True)

    def stop(self):
        try:
            os.kill(self.pid, 15)
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{self.pid}") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
