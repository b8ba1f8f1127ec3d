"""qmgr and local against a real running instance: aliases, extensions,
bounces (RFC 3464), loops, quotas, the queue commands, and no loss when
processes are killed or the disk fills (issue 3)."""
import email
import email.policy
import itertools
import json
import os
import random
import signal
import smtplib
import subprocess
import threading
import time
import unittest

from harness import IS_ROOT, MailInstance, children_of, pid_alive, wait_for


def send(inst, sender, rcpts, body, **kw):
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as s:
        return s.sendmail(sender, rcpts, body, **kw)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


class DeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = MailInstance("local_extension_folders = yes\n")
        cls.inst.start()
        cls.inst.add_user("bob@example.test")
        cls.inst.add_user("alice@example.test")
        cls.inst.add_user("small@example.test", "--quota", "2k")
        for a in (("team@example.test", "bob@example.test",
                   "alice@example.test"),
                  ("all@example.test", "team@example.test",
                   "bob@example.test"),
                  ("ext@example.test", "bob@example.test",
                   "someone@remote.test")):
            r = cls.inst.cmd("alias", "add", *a)
            assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def n(self, address, folder=""):
        return len(self.inst.mailbox_files(address, folder))

    def test_nested_aliases_deliver_once_each(self):
        b, a = self.n("bob@example.test"), self.n("alice@example.test")
        send(self.inst, "x@client.test", ["all@example.test"],
             b"Subject: nested\r\n\r\nto all\r\n")
        self.inst.wait_mail("bob@example.test", b + 1)
        self.inst.wait_mail("alice@example.test", a + 1)
        time.sleep(0.5)
        self.assertEqual(self.n("bob@example.test"), b + 1)
        m = [x for x in self.inst.mailbox("alice@example.test")
             if b"to all" in x][0]
        self.assertTrue(m.startswith(b"Return-Path: <x@client.test>\r\n"
                                     b"Delivered-To: alice@example.test\r\n"))

    def test_extension_goes_to_user_and_folder(self):
        b = self.n("bob@example.test")
        send(self.inst, "x@client.test", ["bob+news@example.test"],
             b"Subject: ext\r\n\r\nplus\r\n")
        self.inst.wait_mail("bob@example.test", b + 1)
        # With the folder present, the extension files into it.
        home = os.path.join(self.inst.dir, "store", "example.test", "bob")
        folder = os.path.join(home, ".lists")
        os.makedirs(folder, exist_ok=True)
        st = os.stat(home)
        os.chown(folder, st.st_uid, st.st_gid)
        send(self.inst, "x@client.test", ["bob+lists@example.test"],
             b"Subject: ext2\r\n\r\nplus folder\r\n")
        msgs = self.inst.wait_mail("bob@example.test", 1, folder="lists")
        self.assertTrue(any(b"Delivered-To: bob+lists@example.test\r\n" in m
                            for m in msgs))

    def test_over_quota_bounces_to_local_sender(self):
        a = self.n("alice@example.test")
        big = b"Subject: too big\r\nMessage-ID: <big@test>\r\n\r\n" + \
            (b"z" * 70 + b"\r\n") * 60
        send(self.inst, "alice@example.test", ["small@example.test"], big,
             rcpt_options=["ORCPT=rfc822;small@example.test"])
        raw = self.inst.wait_message("alice@example.test", b"<big@test>")
        self.assertIsNotNone(raw)
        self.assertEqual(sum(b"<big@test>" in m for m in
                             self.inst.mailbox("alice@example.test")), 1)
        b = parse(raw)
        self.assertEqual(b["Return-Path"], "<>")
        self.assertEqual(b.get_content_type(), "multipart/report")
        self.assertEqual(b.get_param("report-type"), "delivery-status")
        parts = b.get_payload()
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status",
                          "message/rfc822"])
        status = parts[1].get_payload()
        fields = {}
        for block in status:
            for k, v in block.items():
                fields[k.lower()] = v
        self.assertEqual(fields["final-recipient"],
                         "rfc822; small@example.test")
        self.assertEqual(fields["original-recipient"],
                         "rfc822;small@example.test")
        self.assertEqual(fields["action"], "failed")
        self.assertEqual(fields["status"], "5.2.2")
        self.assertIn(b"Message-ID: <big@test>",
                      parts[2].get_payload()[0].as_bytes())
        self.assertEqual(self.n("small@example.test"), 0)
        self.assertTrue(self.inst.queue_empty())

    def test_notify_never_and_ret_hdrs(self):
        a = self.n("alice@example.test")
        big = b"Subject: q\r\n\r\n" + b"q" * 3000 + b"\r\n"
        send(self.inst, "alice@example.test", ["small@example.test"], big,
             rcpt_options=["NOTIFY=NEVER"])
        self.assertTrue(self.inst.queue_empty())
        time.sleep(0.5)
        self.assertEqual(self.n("alice@example.test"), a)
        send(self.inst, "alice@example.test", ["small@example.test"],
             b"Subject: hdrs only\r\n\r\n" + b"h" * 3000 + b"\r\n",
             mail_options=["RET=HDRS", "ENVID=abc123"])
        m = self.inst.wait_message("alice@example.test",
                                   b"Subject: hdrs only")
        self.assertIsNotNone(m)
        self.assertIn(b"Content-Type: text/rfc822-headers", m)
        self.assertIn(b"Subject: hdrs only", m)
        self.assertNotIn(b"hhhh", m)
        self.assertIn(b"Original-Envelope-Id: abc123", m)

    def test_notify_success_reports_delivery(self):
        a, b = self.n("alice@example.test"), self.n("bob@example.test")
        send(self.inst, "alice@example.test", ["bob@example.test"],
             b"Subject: tell me\r\nMessage-ID: <tell@test>\r\n\r\nx\r\n",
             mail_options=["ENVID=env-42"],
             rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        n = self.inst.wait_message("alice@example.test", b"<tell@test>")
        self.assertIsNotNone(n)
        self.assertIn(b"Successful Mail Delivery", n)
        self.assertIn(b"Action: delivered\r\nStatus: 2.0.0\r\n", n)
        self.assertIn(b"Final-Recipient: rfc822; bob@example.test", n)
        self.assertIn(b"Original-Envelope-Id: env-42", n)
        self.assertIn(b"<tell@test>", n)

    def test_null_sender_is_never_bounced(self):
        send(self.inst, "", ["small@example.test"],
             b"Subject: from nobody\r\n\r\n" + b"n" * 3000 + b"\r\n")
        self.assertTrue(self.inst.wait_log(r"sender is <>: no bounce"))
        self.assertTrue(self.inst.queue_empty())

    def test_mail_loop_is_bounced(self):
        a = self.n("alice@example.test")
        send(self.inst, "alice@example.test", ["bob@example.test"],
             b"Delivered-To: bob@example.test\r\nSubject: loop\r\n\r\nx\r\n")
        m = self.inst.wait_message("alice@example.test", b"Subject: loop")
        self.assertTrue(m is not None and b"Status: 5.4.6" in m)

    def test_queue_commands(self):
        send(self.inst, "alice@example.test", ["ext@example.test"],
             b"Subject: half remote\r\n\r\nx\r\n")
        # The remote half waits: no outbound transport in this instance.
        ok = wait_for(lambda: self.inst.queue_files("deferred"), 10)
        self.assertTrue(ok)
        qid = self.inst.queue_files("deferred")[0]
        r = self.inst.cmd("queue", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        entries = {e["queue_id"]: e for e in json.loads(r.stdout)}
        rcpts = {x["address"]: x["state"] for x in entries[qid]["recipients"]}
        self.assertEqual(rcpts, {"bob@example.test": "delivered",
                                 "someone@remote.test": "deferred"})
        r = self.inst.cmd("queue", "show", qid)
        self.assertIn("Subject: half remote", r.stdout)
        self.assertEqual(self.inst.cmd("queue", "hold", qid).returncode, 0)
        self.assertIn(qid, self.inst.queue_files("hold"))
        self.assertEqual(self.inst.cmd("queue", "release", qid).returncode,
                         0)
        self.assertTrue(wait_for(lambda: qid not in
                                 self.inst.queue_files("hold"), 5))
        self.assertEqual(self.inst.cmd("queue", "flush").returncode, 0)
        r = self.inst.cmd("queue", "delete", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.inst.queue_empty())
        r = self.inst.cmd("queue", "delete", qid)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such message", r.stderr)
        self.assertEqual(self.inst.cmd("queue", "show", "../etc").returncode,
                         1)


class DelayNoticeTest(unittest.TestCase):
    """delay_warning_time: a message still being retried brings its sender
    one notice, for the recipients that want it (RFC 3461/3464)."""

    def setUp(self):
        self.inst = MailInstance("delay_warning_time = 2s\n")
        self.addCleanup(self.inst.cleanup)
        self.inst.start()
        self.inst.add_user("alice@example.test")
        # remote.test waits: this instance has no outbound transport.
        for alias, far in (("late@example.test", "far1@remote.test"),
                           ("quiet@example.test", "far2@remote.test")):
            r = self.inst.cmd("alias", "add", alias, far)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_one_delay_notice_for_those_who_want_it(self):
        send(self.inst, "alice@example.test", ["late@example.test"],
             b"Subject: slow\r\nMessage-ID: <late@test>\r\n\r\n"
             b"body stays home\r\n")
        send(self.inst, "alice@example.test", ["quiet@example.test"],
             b"Subject: quiet\r\nMessage-ID: <quiet@test>\r\n\r\nx\r\n",
             rcpt_options=["NOTIFY=FAILURE"])
        n = self.inst.wait_message("alice@example.test", b"Delayed Mail",
                                   timeout=20)
        self.assertIsNotNone(n, self.inst.log()[-3000:])
        self.assertIn(b"Final-Recipient: rfc822; far1@remote.test", n)
        self.assertRegex(n, rb"Action: delayed\r\nStatus: 4\.\d+\.\d+\r\n")
        self.assertRegex(n, rb"Will-Retry-Until: \w{3}, ")
        # The header comes back, not the message: it is still on its way.
        self.assertIn(b"Content-Type: text/rfc822-headers", n)
        self.assertIn(b"<late@test>", n)
        self.assertNotIn(b"body stays home", n)
        self.assertTrue(self.inst.wait_log(
            r"sender delay notification: \w+"))
        # The queue file says it went (a W record); the quiet message's
        # has none: nobody there wants a delay notice.
        def warned():
            """Message-ID -> whether its queue file has a W record, once
            both files are seen (a file may be moving between queues)."""
            found = {}
            for q in ("deferred", "active"):
                for qid in self.inst.queue_files(q):
                    path = os.path.join(self.inst.dir, "queue", q, qid)
                    try:
                        with open(path, "rb") as f:
                            data = f.read()
                    except FileNotFoundError:
                        continue
                    for mid in (b"<late@test>", b"<quiet@test>"):
                        if mid in data:
                            found[mid] = b"\nW " in data
            return found if len(found) == 2 else None
        self.assertTrue(wait_for(lambda: (warned() or {}).get(
            b"<late@test>"), 10))
        # More tries go by: still one notice, and none for NOTIFY=FAILURE.
        time.sleep(5)
        notices = [m for m in self.inst.mailbox("alice@example.test")
                   if b"Delayed Mail" in m]
        self.assertEqual(len(notices), 1, self.inst.log()[-3000:])
        self.assertNotIn(b"far2@remote.test", notices[0])
        state = wait_for(warned, 10)
        self.assertEqual(state, {b"<late@test>": True,
                                 b"<quiet@test>": False})
        # The admin sees it too.
        r = self.inst.cmd("queue", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        told = {e["recipients"][0]["address"]: "delay_notice" in e
                for e in json.loads(r.stdout)}
        self.assertEqual(told, {"far1@remote.test": True,
                                "far2@remote.test": False})


class DurabilityTest(unittest.TestCase):
    """kill -9 smtpd, qmgr and local during a load: every message that got
    250 is delivered (at least once), none that got 4xx/5xx is."""

    MESSAGES = 2000
    SESSIONS = 8

    def setUp(self):
        self.inst = MailInstance()
        self.addCleanup(self.inst.cleanup)
        self.inst.start()
        self.inst.add_user("load@example.test")

    def service_pids(self, name):
        out = []
        for pid in self.inst.children():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and os.path.basename(argv[0]).decode() == name:
                out.append(pid)
        return out

    def test_kill_9_during_load_loses_nothing(self):
        accepted, refused = set(), set()
        lock = threading.Lock()
        counter = itertools.count()
        stop = threading.Event()
        enough = threading.Event()	# every daemon killed 3 times

        def worker():
            s = None
            while True:
                with lock:
                    i = next(counter)
                # At least MESSAGES, and on until the chaos has done its
                # rounds however fast this machine is (bounded).
                if (i >= self.MESSAGES and enough.is_set()) or \
                        i >= 5 * self.MESSAGES:
                    break
                token = f"token-{i:05d}"
                body = (f"Subject: {token}\r\nMessage-ID: <{token}@load>"
                        f"\r\n\r\n{token}\r\n" + "x" * 4000 + "\r\n").encode()
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", self.inst.smtp_port,
                                         timeout=30)
                    s.sendmail("load@client.test", ["load@example.test"],
                               body)
                    with lock:
                        accepted.add(token)
                except smtplib.SMTPResponseException:
                    with lock:
                        refused.add(token)
                    s = None
                except (OSError, smtplib.SMTPException):
                    # Connection killed before a reply: outcome unknown
                    # to the client, which would send it again.
                    s = None
            stop.set()

        def chaos():
            kills = {"smtpd": 0, "qmgr": 0, "local": 0}
            rnd = random.Random(3)
            names = list(kills)
            while not stop.is_set():
                time.sleep(rnd.uniform(0.1, 0.4))
                name = names[sum(kills.values()) % len(names)]
                pids = self.service_pids(name)
                if pids:
                    os.kill(rnd.choice(pids), signal.SIGKILL)
                    kills[name] += 1
                if min(kills.values()) >= 3:
                    enough.set()
            return kills

        threads = [threading.Thread(target=worker)
                   for _ in range(self.SESSIONS)]
        for t in threads:
            t.start()
        result = {}
        ct = threading.Thread(target=lambda: result.update(chaos()))
        ct.start()
        for t in threads:
            t.join()
        stop.set()
        ct.join()
        for name, n in result.items():
            self.assertGreaterEqual(n, 3, f"{name} killed {n} times")
        self.assertGreater(len(accepted), self.MESSAGES // 2)
        # Let qmgr retry what the kills deferred.
        qs = ("incoming", "active", "deferred")
        self.assertTrue(wait_for(lambda: not any(self.inst.queue_files(q)
                                                 for q in qs), 120),
                        [(q, self.inst.queue_files(q)) for q in qs])
        seen = {}
        for m in self.inst.mailbox("load@example.test"):
            token = parse(m)["Subject"]
            seen[token] = seen.get(token, 0) + 1
        lost = accepted - set(seen)
        self.assertEqual(lost, set(), f"{len(lost)} accepted messages lost")
        self.assertEqual(refused & set(seen), set())
        dups = sum(1 for v in seen.values() if v > 1)
        print(f"\n{len(accepted)} accepted, {len(refused)} refused, "
              f"{dups} delivered twice, kills {result}")
        # Master restored every service.
        self.assertTrue(wait_for(lambda: self.service_pids("qmgr"), 10))


@unittest.skipUnless(IS_ROOT, "needs root to mount a small tmpfs")
class FullDiskTest(unittest.TestCase):
    def test_full_queue_disk_gives_451_and_loses_nothing(self):
        inst = MailInstance()
        self.addCleanup(inst.cleanup)
        q = os.path.join(inst.dir, "queue")
        small = os.path.join(inst.dir, "smallq")
        os.mkdir(small)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k",
                            "tmpfs", small], capture_output=True)
        if r.returncode != 0:
            self.skipTest("cannot mount tmpfs: " + r.stderr.decode())
        self.addCleanup(subprocess.run, ["umount", "-l", small])
        subprocess.run(["cp", "-a", q + "/.", small], check=True)
        st = os.stat(q)
        os.chown(small, st.st_uid, st.st_gid)
        os.chmod(small, 0o700)
        inst.set_conf("queue_directory", small)
        # No local delivery at first, so that the queue fills up.
        with open(os.path.join(inst.dir, "master.conf")) as f:
            services = f.read()
        inst.write("master.conf", "".join(
            l + "\n" for l in services.splitlines()
            if not l.startswith("local ")))
        inst.start()
        inst.add_user("full@example.test")
        ok, codes = [], []
        body = b"Subject: %d\r\n\r\n" + b"f" * 100000 + b"\r\n"
        for i in range(12):
            try:
                send(inst, "f@client.test", ["full@example.test"],
                     body.replace(b"%d", str(i).encode()))
                ok.append(str(i))
            except smtplib.SMTPDataError as e:
                codes.append(e.smtp_code)
                self.assertEqual(e.smtp_code, 451)
                self.assertIn(b"4.3.0", e.smtp_error)
        self.assertTrue(ok)
        # Room again: the disk is freed by delivery once local is back.
        inst.write("master.conf", services)
        inst.reload()
        self.assertTrue(codes, "the disk never filled")
        self.assertTrue(inst.queue_empty(timeout=30))
        got = {parse(m)["Subject"] for m in inst.mailbox("full@example.test")}
        self.assertEqual(set(ok) - got, set(), inst.log()[-6000:])
        self.assertEqual(os.listdir(os.path.join(small, "tmp")), [])


if __name__ == "__main__":
    unittest.main()
