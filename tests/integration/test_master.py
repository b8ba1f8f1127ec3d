"""master: spawning, limits, crash handling, reload, stop, privileges.

Each test starts a real master (from the build) on free loopback ports with
the echod test service, and talks to it over real sockets.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import unittest

from harness import (ECHOD, IS_ROOT, LIBEXEC, POSTERN, Instance, Line,
                     children_of, free_port, pid_alive, postern, wait_for)


def echo_line(name, port, limit="-", opts=""):
    return f"{name} inet 127.0.0.1:{port} - - {limit} {ECHOD} {opts}"


class MasterTest(unittest.TestCase):
    def setUp(self):
        self.inst = Instance()
        self.port = free_port()

    def tearDown(self):
        bad = self.inst.cleanup()
        self.assertEqual(bad, [], "sanitizer reports in the log")

    def start(self, *lines):
        self.inst.set_services(list(lines))
        self.inst.start()

    def test_children_spawned_and_serve(self):
        self.start(echo_line("echo", self.port, 5, "-o process_min=2"))
        kids = wait_for(lambda: len(self.inst.children()) == 2
                        and self.inst.children())
        self.assertEqual(len(kids), 2, self.inst.log())
        c = Line(self.port)
        greeting = c.read()
        self.assertRegex(greeting, r"^echod echo pid=\d+ uid=\d+$")
        pid = int(greeting.split("pid=")[1].split()[0])
        self.assertIn(pid, self.inst.children())
        self.assertEqual(c.ask("hello there"), "hello there")
        self.assertEqual(c.ask("QUIT"), "BYE")
        c.close()

    def test_on_demand_spawn_and_status(self):
        self.start(echo_line("echo", self.port, 3))
        self.assertEqual(self.inst.children(), [])
        c = Line(self.port)
        self.assertTrue(c.read().startswith("echod echo"))
        self.assertEqual(len(self.inst.children()), 1)
        r = postern(self.inst.dir, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"127.0.0.1:{self.port}", r.stdout)
        row = [l for l in r.stdout.splitlines() if l.startswith("echo ")]
        self.assertEqual(len(row), 1, r.stdout)
        self.assertIn(f"pids={self.inst.children()[0]}", row[0])
        c.close()

    def test_children_get_their_resource_limits(self):
        self.start(echo_line("echo", self.port, 5, "-o process_min=1 "
                             "-o fd_limit=333 -o memory_limit=700m"))
        kids = wait_for(lambda: self.inst.children())
        with open(f"/proc/{kids[0]}/limits") as f:
            limits = f.read()
        self.assertRegex(limits, r"Max open files\s+333\s+333")
        if not os.environ.get("POSTERN_SANITIZE"):
            self.assertRegex(limits, r"Max address space\s+%d\s+%d"
                             % (700 << 20, 700 << 20))

    def test_kill9_child_is_replaced_within_a_second(self):
        self.start(echo_line("echo", self.port, 5, "-o process_min=1"))
        old = wait_for(lambda: self.inst.children())
        self.assertEqual(len(old), 1)
        os.kill(old[0], signal.SIGKILL)
        t0 = time.monotonic()
        new = wait_for(lambda: [p for p in self.inst.children()
                                if p != old[0]], 2.0, 0.01)
        self.assertTrue(new, "no replacement child")
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertTrue(self.inst.wait_log(
            rf"lost child echo pid {old[0]}: killed by signal 9"))
        c = Line(self.port)
        self.assertTrue(c.read().startswith("echod echo"))
        c.close()

    def test_crash_loop_is_throttled(self):
        self.start(echo_line("echo", self.port, 5),
                   f"crash unix crash - - 1 /bin/false -o process_min=1")
        time.sleep(4)
        log = self.inst.log()
        crashes = log.count("lost child crash")
        self.assertGreaterEqual(crashes, 2, log)
        self.assertLessEqual(crashes, 8, "restarts not throttled:\n" + log)
        self.assertIn("service crash: child crashed", log)
        self.assertIn("throttling restarts", log)
        self.assertIsNone(self.inst.proc.poll())
        # The other service is unaffected.
        c = Line(self.port)
        self.assertTrue(c.read().startswith("echod echo"))
        c.close()

    def test_client_and_process_limits(self):
        self.start(echo_line("echo", self.port, 1,
                             "-o client_limit=2"))
        a, b = Line(self.port), Line(self.port)
        self.assertTrue(a.read().startswith("echod"))
        self.assertTrue(b.read().startswith("echod"))
        c = Line(self.port)
        self.assertFalse(c.readable(0.7), "served beyond the limits")
        self.assertTrue(self.inst.wait_log(
            r"service echo: process_limit reached: all 1 processes are busy"
            r".*Hint: raise the process limit column of echo in "
            r"master.conf \(.*master.conf:1\)"))
        self.assertTrue(self.inst.wait_log(
            r"service echo: client_limit reached: process \d+ serves its "
            r"limit of 2 connections .*Hint: raise client_limit"))
        r = postern(self.inst.dir, "status")
        self.assertRegex(r.stdout, r"process_limit=[1-9]")
        self.assertRegex(r.stdout, r"client_limit=[1-9]")
        a.ask("QUIT")
        a.close()
        self.assertTrue(c.read().startswith("echod"))
        b.close()
        c.close()

    def test_idle_timeout_and_max_use(self):
        self.start(echo_line("echo", self.port, 5,
                             "-o idle_timeout=1s -o max_use=2"))
        a = Line(self.port)
        pid = int(a.read().split("pid=")[1].split()[0])
        b = Line(self.port)
        self.assertIn(f"pid={pid}", b.read())
        # max_use reached: a third client goes to a new child.
        c = Line(self.port)
        self.assertNotIn(f"pid={pid}", c.read())
        # The retiring child still serves what it has.
        self.assertEqual(a.ask("still here"), "still here")
        for x in (a, b):
            x.ask("QUIT")
            x.close()
        self.assertTrue(wait_for(lambda: not pid_alive(pid), 3))
        c.ask("QUIT")
        c.close()
        # No connection: the last child leaves after idle_timeout.
        self.assertTrue(wait_for(lambda: self.inst.children() == [], 4),
                        self.inst.log())

    def test_sighup_adds_and_removes_services(self):
        p2, p3 = free_port(), free_port()
        self.start(echo_line("keep", self.port, 5),
                   echo_line("gone", p2, 5))
        keep, gone = Line(self.port), Line(p2)
        keep_pid = keep.read().split("pid=")[1].split()[0]
        self.assertTrue(gone.read().startswith("echod gone"))
        self.inst.set_services([echo_line("keep", self.port, 5),
                                echo_line("added", p3, 5)])
        self.inst.reload()
        self.assertTrue(self.inst.wait_log(r"reload done"), self.inst.log())
        self.assertIn("service added added", self.inst.log())
        self.assertIn("service gone removed", self.inst.log())
        # Established connections go on, on the kept and removed service.
        self.assertEqual(keep.ask("after reload"), "after reload")
        self.assertEqual(gone.ask("still served"), "still served")
        # The unchanged service kept its child.
        self.assertIn(f"pid={keep_pid}", Line(self.port).read())
        new = Line(p3)
        self.assertTrue(new.read().startswith("echod added"))
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", p2), timeout=2)
        for x in (keep, gone, new):
            x.close()

    def test_sighup_changed_service_gets_new_children(self):
        self.start(echo_line("echo", self.port, 5, "-o client_limit=10"))
        old = Line(self.port)
        old_pid = old.read().split("pid=")[1].split()[0]
        self.inst.set_services([echo_line("echo", self.port, 5,
                                          "-o client_limit=20")])
        self.inst.reload()
        self.assertTrue(self.inst.wait_log(r"service echo changed"))
        new = Line(self.port)
        self.assertNotIn(f"pid={old_pid}", new.read())
        self.assertEqual(old.ask("old one"), "old one")
        old.ask("QUIT")
        old.close()
        new.close()
        self.assertTrue(wait_for(lambda: not pid_alive(int(old_pid)), 3))

    def test_bad_reload_keeps_running_configuration(self):
        self.start(echo_line("echo", self.port, 5))
        self.inst.set_services([echo_line("echo", self.port, 5,
                                          "-o clint_limit=3")])
        self.inst.append("postern.conf", "bogus_param = 1\n")
        self.inst.reload()
        self.assertTrue(self.inst.wait_log(r"reload failed"))
        log = self.inst.log()
        self.assertRegex(log, r"master.conf:1: -o clint_limit=3: unknown "
                         r"parameter 'clint_limit' \(did you mean "
                         r"'client_limit'\?\)")
        self.assertRegex(log, r"postern.conf:\d+: unknown parameter "
                         r"'bogus_param'")
        c = Line(self.port)
        self.assertTrue(c.read().startswith("echod echo"))
        c.close()

    def test_sigterm_leaves_no_process(self):
        self.start(echo_line("echo", self.port, 5,
                             "-o process_min=3 -o stop_timeout=1s"))
        kids = wait_for(lambda: len(self.inst.children()) == 3
                        and self.inst.children())
        c = Line(self.port)
        c.read()
        self.assertEqual(self.inst.stop(), 0)
        self.assertTrue(wait_for(lambda: not any(map(pid_alive, kids)), 3))
        self.assertFalse(os.path.exists(
            os.path.join(self.inst.dir, "run", "master.pid")))
        log = self.inst.log()
        self.assertIn("stopped", log)
        # The child with a client waited stop_timeout for it, then left.
        self.assertIn("stop_timeout of 1s passed with 1 connection(s)", log)
        c.close()

    def test_second_master_is_refused(self):
        self.start(echo_line("echo", self.port, 5))
        r = subprocess.run([os.path.join(os.environ["POSTERN_LIBEXEC"],
                                         "master"), "-f", "-c",
                            self.inst.dir], capture_output=True, text=True,
                           timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"another master (pid {self.inst.proc.pid}) is "
                      "already running", r.stderr)
        c = Line(self.port)
        self.assertTrue(c.read().startswith("echod"))
        c.close()

    def test_bad_config_refused_at_start(self):
        self.inst.append("postern.conf", "client_limit = lots\n")
        self.inst.set_services([echo_line("echo", self.port, 5),
                                echo_line("echo", free_port(), 5)])
        proc = self.inst.start(expect_ok=False)
        self.assertEqual(proc.wait(10), 1)
        log = self.inst.log()
        self.assertRegex(log, r"postern.conf:\d+: client_limit = lots: "
                         r"value is not a number")
        self.assertRegex(log, r"master.conf:2: service 'echo' is defined "
                         r"twice")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=2)

    def test_children_reach_unix_services_through_master(self):
        self.start(echo_line("outer", self.port, 5),
                   f"inner unix inner - - 2 {ECHOD} "
                   "-o allowed_clients=outer",
                   f"closed unix closed - - 2 {ECHOD} "
                   "-o allowed_clients=someone_else")
        c = Line(self.port)
        c.read()
        # Even chrooted (as root), the child reaches a socket outside
        # its jail: master connects on its behalf.
        self.assertRegex(c.ask("CONNECT inner"),
                         r"^CONNECTED echod inner pid=\d+ uid=\d+$")
        self.assertEqual(c.ask("CONNECT closed"),
                         "ERR connect to closed: not allowed "
                         "(allowed_clients)")
        self.assertEqual(c.ask("CONNECT nosuch"),
                         "ERR connect to nosuch: no such unix service")
        self.assertTrue(self.inst.wait_log(
            r"service outer: connection to closed refused: not in its "
            r"allowed_clients \(.*master.conf:3\)"))
        c.close()

    def test_systemd_readiness_notification(self):
        path = os.path.join(self.inst.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(10)
        os.environ["NOTIFY_SOCKET"] = path
        try:
            self.start(echo_line("echo", self.port, 5))
        finally:
            del os.environ["NOTIFY_SOCKET"]
        self.assertEqual(sock.recv(256), b"READY=1")
        self.inst.reload()
        self.assertEqual(sock.recv(256), b"RELOADING=1")
        self.assertEqual(sock.recv(256), b"READY=1")
        self.inst.stop()
        self.assertEqual(sock.recv(256), b"STOPPING=1")
        sock.close()

    @unittest.skipUnless(IS_ROOT, "needs root: privilege drop and chroot")
    def test_children_run_as_their_user_in_their_chroot(self):
        self.start(echo_line("echo", self.port, 5, "-o process_min=2"))
        pw = pwd.getpwnam("postern")
        queue = os.path.realpath(os.path.join(self.inst.dir, "queue"))

        def dropped(pid):
            try:
                with open(f"/proc/{pid}/status") as f:
                    return f"Uid:\t{pw.pw_uid}\t" in f.read()
            except OSError:
                return False
        # Both children past their setup: a fresh fork is root for a
        # moment, until it has jailed itself and dropped privileges.
        kids = wait_for(lambda: len(self.inst.children()) == 2
                        and all(dropped(p) for p in self.inst.children())
                        and self.inst.children())
        self.assertTrue(kids, "two children that gave up root")
        for pid in kids:
            with open(f"/proc/{pid}/status") as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            self.assertEqual(st["Uid"].split(), [str(pw.pw_uid)] * 4)
            self.assertEqual(st["Gid"].split(), [str(pw.pw_gid)] * 4)
            self.assertEqual(st["CapEff"].strip(), "0" * 16)
            self.assertEqual(os.readlink(f"/proc/{pid}/root"), queue)
        c = Line(self.port)
        self.assertIn(f"uid={pw.pw_uid}", c.read())
        c.close()

    def test_unprivileged_mode_is_logged_once(self):
        self.start(echo_line("echo", self.port, 5))
        log = self.inst.log()
        if IS_ROOT:
            self.assertNotIn("development mode", log)
        else:
            self.assertEqual(log.count("not root: children will not "
                                       "chroot or change user"), 1)


@unittest.skipUnless(IS_ROOT and shutil.which("setpriv"),
                     "needs root and setpriv to become another user")
class UnprivilegedTest(unittest.TestCase):
    """As an ordinary user, everything works without setuid and chroot."""

    def test_master_as_an_ordinary_user(self):
        import tempfile
        top = tempfile.mkdtemp(prefix="postern-unpriv-")
        os.chmod(top, 0o777)
        inst = os.path.join(top, "inst")
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                     "--clear-groups", "--"]
        if subprocess.run(as_nobody + ["test", "-x", POSTERN]).returncode:
            shutil.rmtree(top)
            self.skipTest("the build tree is not reachable by nobody")
        port = free_port()
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        r = subprocess.run(as_nobody + [POSTERN, "init", inst],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(inst, "master.conf"), "w") as f:
            f.write(echo_line("echo", port, 2, "-o process_min=1") + "\n")
        log = os.path.join(top, "master.log")
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                as_nobody + [os.path.join(LIBEXEC, "master"), "-f", "-c",
                             inst], stderr=err, env=env)
        try:
            kids = wait_for(lambda: children_of(proc.pid), 10)
            self.assertTrue(kids, "master did not start a child")
            with open(f"/proc/{kids[0]}/status") as f:
                uid = [l for l in f if l.startswith("Uid:")][0].split()
            self.assertEqual(uid[1:], ["65534"] * 4)
            self.assertEqual(os.readlink(f"/proc/{kids[0]}/root"), "/")
            c = Line(port)
            self.assertIn("uid=65534", c.read())
            c.close()
            with open(log) as f:
                text = f.read()
            self.assertEqual(text.count("not root: children will not "
                                        "chroot or change user"), 1, text)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(20), 0)
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
