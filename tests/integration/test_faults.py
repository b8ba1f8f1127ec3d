"""Fault injection (issue 10, part 3): write, fsync and rename failures
(ENOSPC, EIO) injected into smtpd, qmgr and local by an LD_PRELOAD shim
(tests/fault/fault.c), at every call of each in turn while a message goes
through.  Each gives a temporary error or a retry, never a permanent
one; every message that got a 250 is delivered; and with a fault that
stays until it is cleared, the queue recovers when it clears.  An
allocation that fails (what a child at its memory_limit sees) ends the
child; master starts another and nothing accepted is lost."""
import os
import re
import smtplib
import unittest

from harness import LIBEXEC, MailInstance, wait_for

FAULT_LIB = os.environ.get("POSTERN_FAULT_LIB", "")


def malloc_can_be_wrapped():
    """The shim's malloc is reached unless a sanitizer runtime is linked
    into the executable itself (clang's static ASan), which then owns
    malloc ahead of any preloaded library."""
    if not os.environ.get("POSTERN_SANITIZE"):
        return True
    import subprocess
    out = subprocess.run(["ldd", os.path.join(LIBEXEC, "smtpd")],
                         capture_output=True, text=True).stdout
    return "libasan" in out
USER = "bob@example.test"
MAX_CALLS = 40      # more calls of one kind per message would be a bug


@unittest.skipUnless(FAULT_LIB and os.path.exists(FAULT_LIB),
                     "needs the fault shim (tests/fault)")
class FaultTest(unittest.TestCase):
    def setUp(self):
        self.inst = MailInstance()
        self.ctl = os.path.join(self.inst.dir, "fault.ctl")
        open(self.ctl, "w").close()
        asan = os.environ.get("ASAN_OPTIONS", "")
        self.inst.extra_env = {
            "LD_PRELOAD": FAULT_LIB,
            "POSTERN_FAULT_FILE": self.ctl,
            # the shim is loaded before the sanitizer runtime
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:"
                            "verify_asan_link_order=0" + (
                                ":" + asan if asan else ""),
        }
        self.addCleanup(lambda: self.assertEqual(self.inst.cleanup(), []))
        self.inst.start()
        self.inst.add_user(USER)
        self.gen = 0
        self.accepted = set()

    def fault(self, daemon="-", op="-", nth=0, err="ENOSPC", mode="once"):
        self.gen += 1
        # Written in place (same inode): the daemons hold it open.
        with open(self.ctl, "r+") as f:
            f.write(f"{self.gen} {daemon} {op} {nth} {err} {mode}".ljust(80))
        return self.gen

    def fired(self, gen):
        try:
            with open(self.ctl + ".fired") as f:
                return [l.split() for l in f if l.split()[0] == str(gen)]
        except OSError:
            return []

    def send(self, token):
        """250: accepted (kept); 4xx: temporary; 5xx fails the test."""
        try:
            with smtplib.SMTP("127.0.0.1", self.inst.smtp_port,
                              timeout=30) as s:
                s.sendmail("a@remote.test", [USER],
                           f"Subject: {token}\r\n\r\n{token}\r\n".encode())
            self.accepted.add(token)
            return 250
        except smtplib.SMTPResponseException as e:
            self.assertLess(e.smtp_code, 500, f"{token}: {e}")
            return e.smtp_code
        except smtplib.SMTPRecipientsRefused as e:
            code = list(e.recipients.values())[0][0]
            self.assertLess(code, 500, f"{token}: {e}")
            return code
        except (smtplib.SMTPServerDisconnected, OSError):
            return 0

    def delivered(self):
        out = set()
        for m in self.inst.mailbox(USER):
            for line in m.split(b"\r\n"):
                if line.startswith(b"Subject: "):
                    out.add(line[9:].decode())
        return out

    def settle(self):
        self.assertTrue(self.inst.queue_settled(60), {
            q: self.inst.queue_files(q) for q in self.inst.SETTLED})
        # A child that died mid-message may leave its file in tmp/; no
        # message that got a 250 is there.
        for data in self.inst.tmp_contents():
            for token in self.accepted:
                self.assertNotIn(f"Subject: {token}\r\n".encode(), data)

    def each_call(self, daemon, op, err):
        """Fail the 1st, 2nd, ... call of op in daemon, one message each,
        until a message passes without reaching the fault."""
        for nth in range(1, MAX_CALLS + 1):
            gen = self.fault(daemon, op, nth, err)
            token = f"{daemon}-{op}-{err}-{nth}"
            code = self.send(token)
            self.settle()
            if not self.fired(gen):
                self.assertEqual(code, 250, token)
                return nth - 1
        self.fail(f"{daemon} {op}: more than {MAX_CALLS} calls")

    def test_every_call_site_fails_softly(self):
        reached = {}
        for daemon in ("smtpd", "qmgr", "local"):
            for op in ("write", "fsync", "rename"):
                err = "EIO" if op == "fsync" else "ENOSPC"
                reached[(daemon, op)] = self.each_call(daemon, op, err)
        self.fault()
        self.settle()
        lost = self.accepted - self.delivered()
        self.assertEqual(lost, set(), f"{len(lost)} accepted and lost")
        # The shim reached the paths that matter: smtpd writes, syncs and
        # renames the queue file; local writes and syncs the mailbox file.
        for key in (("smtpd", "write"), ("smtpd", "fsync"),
                    ("smtpd", "rename"), ("local", "write"),
                    ("local", "fsync")):
            self.assertGreater(reached[key], 0, (key, reached))
        print(f"\ncalls failed in turn: {reached}; "
              f"{len(self.accepted)} accepted, all delivered")

    @unittest.skipUnless(malloc_can_be_wrapped(),
                         "a static sanitizer runtime owns malloc")
    def test_out_of_memory_ends_the_child_and_loses_nothing(self):
        # Under ASan, RLIMIT_AS cannot be set (memory_limit is skipped),
        # so the shim makes the nth allocation return NULL instead: the
        # same thing a child at its limit sees.
        died = {}
        for daemon in ("smtpd", "qmgr", "local"):
            before = self.deaths(daemon)
            for nth in (1, 4, 16, 64, 256, 1024):
                gen = self.fault(daemon, "malloc", nth, "ENOMEM")
                for i in range(3):
                    self.send(f"oom-{daemon}-{nth}-{i}")
                    if wait_for(lambda: self.fired(gen), 2):
                        break
                self.fault()
                self.settle()
            self.assertTrue(wait_for(lambda: self.deaths(daemon) > before,
                                     5), (daemon, self.inst.log()))
            died[daemon] = self.deaths(daemon) - before
        lost = self.accepted - self.delivered()
        self.assertEqual(lost, set(), f"{len(lost)} accepted and lost")
        # They ended by the "out of memory" exit, never a crash on NULL.
        log = self.inst.log()
        for crash in ("killed by signal", "AddressSanitizer",
                      "runtime error"):
            self.assertNotIn(crash, log)
        # Every service is back: a message still goes all the way.
        self.assertEqual(self.send("after-oom"), 250)
        self.settle()
        self.assertIn("after-oom", self.delivered())
        print(f"\nchildren ended by a failed allocation: {died}; "
              f"{len(self.accepted)} accepted, all delivered")

    def deaths(self, daemon):
        return len(re.findall(daemon + r"\[\d+\]: fatal: out of memory",
                              self.inst.log()))

    def test_queue_recovers_when_a_lasting_fault_clears(self):
        # The mail store is full: local cannot write, mail waits queued.
        self.fault("local", "write", 1, "ENOSPC", "on")
        for i in range(3):
            self.assertEqual(self.send(f"stuck-{i}"), 250)
        self.assertTrue(wait_for(
            lambda: self.inst.queue_files("deferred"), 20))
        self.assertEqual(self.delivered(), set())
        # The queue disk is full: smtpd refuses for now, loses nothing.
        self.fault("smtpd", "write", 1, "ENOSPC", "on")
        self.assertEqual(self.send("refused-0") // 100, 4)
        self.fault()
        self.settle()
        self.assertEqual(self.delivered(),
                         {"stuck-0", "stuck-1", "stuck-2"})
        self.assertEqual(self.send("after"), 250)
        self.settle()
        self.assertIn("after", self.delivered())


if __name__ == "__main__":
    unittest.main()
