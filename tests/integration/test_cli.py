"""The postern command: init, check, config, start/stop/status, man pages."""
import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import (IS_ROOT, LIBEXEC, POSTERN, Instance, free_port, pid_alive,
                     postern, wait_for)

SOURCE = os.environ.get("POSTERN_SOURCE", "../..")


class InitTest(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="postern-init-")
        self.dir = os.path.join(self.top, "inst")

    def tearDown(self):
        shutil.rmtree(self.top, ignore_errors=True)

    def test_init_writes_a_complete_instance(self):
        r = postern(None, "init", self.dir, "--domain", "example.org",
                    "--hostname", "mx.example.org", "--port-base", "30000")
        self.assertEqual(r.returncode, 0, r.stderr)
        conf = open(os.path.join(self.dir, "postern.conf")).read()
        for name in ("queue", "store", "auth", "keys", "run"):
            self.assertIn(f"= {self.dir}/{name}\n", conf)
            self.assertTrue(os.path.isdir(os.path.join(self.dir, name)))
        self.assertIn("myhostname = mx.example.org\n", conf)
        self.assertIn("mydomain = example.org\n", conf)
        for secret in ("keys", "auth", "store", "queue"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.dir, secret))
                                .st_mode)
            self.assertEqual(mode, 0o700, secret)
        key = os.path.join(self.dir, "tls", "key.pem")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        cert = subprocess.run(["openssl", "x509", "-noout", "-text", "-in",
                               os.path.join(self.dir, "tls", "cert.pem")],
                              capture_output=True, text=True, check=True)
        self.assertIn("DNS:mx.example.org", cert.stdout)
        master = open(os.path.join(self.dir, "master.conf")).read()
        for port in (30025, 30587, 30465, 30143, 30993, 30110, 30995):
            self.assertIn(f"127.0.0.1:{port}", master)
        # Daemons that are not built yet are commented out; the file
        # parses and the instance checks clean.
        r = postern(self.dir, "check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is OK", r.stdout)
        if IS_ROOT:
            import pwd
            owner = pwd.getpwuid(os.stat(os.path.join(self.dir, "keys"))
                                 .st_uid).pw_name
            self.assertEqual(owner, "postern-crypt")

    def test_init_refuses_an_existing_instance(self):
        self.assertEqual(postern(None, "init", self.dir).returncode, 0)
        r = postern(None, "init", self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already an instance", r.stderr)

    def test_init_bad_port_base(self):
        r = postern(None, "init", self.dir, "--port-base", "70000")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--port-base 70000", r.stderr)


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        self.inst = Instance()
        self.conf = os.path.join(self.inst.dir, "postern.conf")

    def tearDown(self):
        self.inst.cleanup()

    def lines(self):
        return open(self.conf).read().count("\n")

    def test_check_reports_each_problem_with_file_line(self):
        os.chmod(os.path.join(self.inst.dir, "keys"), 0o755)
        self.inst.append("postern.conf", "idle_timeout = forever\n")
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, rf"{re.escape(self.conf)}:\d+: "
                         r"idle_timeout = forever: value is not a number")
        # A configuration error stops the check before the file checks.
        with open(self.conf) as f:
            text = f.read().replace("idle_timeout = forever\n", "")
        self.inst.write("postern.conf", text)
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        keyline = [i + 1 for i, l in enumerate(text.splitlines())
                   if l.startswith("key_directory")][0]
        self.assertIn(f"{self.conf}:{keyline}: key_directory "
                      f"{self.inst.dir}/keys: mode 0755 is too open",
                      r.stderr)

    def test_check_finds_mismatched_tls_key(self):
        other = tempfile.mkdtemp()
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out",
                        os.path.join(other, "k.pem")], check=True,
                       capture_output=True)
        shutil.copy(os.path.join(other, "k.pem"),
                    os.path.join(self.inst.dir, "tls", "key.pem"))
        shutil.rmtree(other)
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not match", r.stderr)
        self.assertIn("tls/key.pem", r.stderr)

    def test_check_finds_exposed_keys_and_missing_tables(self):
        users = os.path.join(self.inst.dir, "auth", "users")
        os.chmod(users, 0o644)
        aliases = os.path.join(self.inst.dir, "queue", "maps", "aliases")
        os.unlink(aliases)
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        self.assertIn(users + ": mode 0644: others can read password "
                      "verifiers", r.stderr)
        self.assertIn(aliases, r.stderr)
        self.assertIn("2 problems found", r.stderr)

    def test_check_finds_missing_daemon(self):
        self.inst.set_services(["x inet 127.0.0.1:%d - - 1 nosuchd"
                                % free_port()])
        r = postern(self.inst.dir, "check")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"master.conf:1: service 'x': command "
                         r".*/nosuchd: No such file")

    def test_config_views(self):
        r = postern(None, "config", "-d")
        self.assertEqual(r.returncode, 0)
        self.assertIn("client_limit = 100\n", r.stdout)
        self.assertIn("tls_min_version = TLSv1.2\n", r.stdout)
        self.inst.append("postern.conf", "client_limit = 7\n")
        r = postern(self.inst.dir, "config", "-n")
        self.assertIn("client_limit = 7\n", r.stdout)
        self.assertIn("mydomain = example.test\n", r.stdout)
        self.assertNotIn("max_use", r.stdout)
        self.assertNotIn("config_directory", r.stdout)
        r = postern(self.inst.dir, "config", "socket_directory")
        self.assertEqual(r.stdout,
                         f"socket_directory = {self.inst.dir}/run/private\n")
        r = postern(self.inst.dir, "config", "clint_limit")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean 'client_limit'", r.stderr)

    def test_start_status_reload_stop_in_the_background(self):
        r = postern(self.inst.dir, "status")
        self.assertEqual(r.returncode, 3)
        self.assertIn("not running", r.stdout)
        r = postern(self.inst.dir, "start")
        self.assertEqual(r.returncode, 0, r.stderr)
        pid = int(open(os.path.join(self.inst.dir, "run",
                                    "master.pid")).read())
        self.assertTrue(pid_alive(pid))
        r = postern(self.inst.dir, "start")
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"already running (pid {pid})", r.stderr)
        r = postern(self.inst.dir, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"master pid {pid}", r.stdout)
        log = os.path.join(self.inst.dir, "log", "postern.log")
        self.assertTrue(wait_for(lambda: os.path.exists(log)))
        self.assertIn("daemon started", open(log).read())
        # Log rotation: move the file away, reload, and master writes a
        # new one.
        os.rename(log, log + ".1")
        r = postern(self.inst.dir, "reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: os.path.exists(log) and
                                 "reloading" in open(log).read(), 5))
        # A bad configuration is refused before master hears of it.
        self.inst.append("postern.conf", "max_use = -3\n")
        r = postern(self.inst.dir, "reload")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"postern.conf:\d+: max_use = -3")
        r = postern(self.inst.dir, "stop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(pid_alive(pid))
        self.assertEqual(postern(self.inst.dir, "status").returncode, 3)

    def test_version(self):
        r = postern(None, "version")
        self.assertRegex(r.stdout, r"^postern \d+\.\d+\.\d+\n$")


class ManPageTest(unittest.TestCase):
    def test_postern_conf_5_matches_the_parameter_tables(self):
        """Every parameter is documented with its default, and the page
        documents no parameter that does not exist."""
        defaults = dict(l.split(" = ", 1) for l in
                        postern(None, "config", "-d").stdout.splitlines())
        page = open(os.path.join(SOURCE, "man", "postern.conf.5")).read()
        entries = dict(re.findall(r'^\.BR (\w+) " \([^,]+, default: '
                                  r'(.*)\)"$', page, re.M))
        self.assertEqual(sorted(entries), sorted(defaults))
        for name, default in defaults.items():
            if "/" in default:      # install paths depend on the prefix
                continue
            self.assertEqual(entries[name], default or "(empty)", name)

    def test_every_program_has_a_man_page_that_lints(self):
        pages = glob.glob(os.path.join(SOURCE, "man", "*.[1-8]"))
        names = {os.path.basename(p) for p in pages}
        need = {"postern.1", "postern.conf.5", "master.conf.5"}
        # Every daemon the build produced has its page.
        need |= {d + ".8" for d in os.listdir(LIBEXEC)}
        for n in sorted(need):
            self.assertIn(n, names)
        if shutil.which("mandoc") is None:
            self.skipTest("mandoc not installed")
        r = subprocess.run(["mandoc", "-Tlint", "-Wwarning"] + pages,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout + r.stderr, "")


if __name__ == "__main__":
    unittest.main()
