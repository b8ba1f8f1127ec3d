"""The Bayesian spam filter (issue 8): `postern spam train|stats|classify`
on a generated corpus, and imapd learning from moves into and out of
Junk, per user."""
import fcntl
import os
import random
import re
import shutil
import tempfile
import unittest

from harness import Instance
from imaptest import ALICE, BOB, ImapTest

HAM = ("meeting agenda project quarterly review lunch tomorrow deadline "
       "draft report colleague schedule minutes budget conference attached "
       "thanks regards family weekend kernel compiler patch release").split()
SPAM = ("viagra lottery winner casino unclaimed inheritance pharmacy "
        "discount guaranteed bitcoin millionaire prize urgent beneficiary "
        "replica rolex enlargement crypto jackpot bonus miracle pills wire "
        "offer").split()
COMMON = ("the and you your for this with have are will please about from "
          "that today time").split()


def generated(spam, i, rnd):
    """A message of one class; i makes its Message-ID."""
    words = SPAM if spam else HAM
    sender = "promo@deals.test" if spam else "colleague@work.test"
    body = " ".join(rnd.choice(words) if k % 3 == 0 else rnd.choice(COMMON)
                    for k in range(80))
    return (f"From: {sender}\r\nTo: {BOB}\r\n"
            f"Subject: {rnd.choice(words)} {rnd.choice(COMMON)}\r\n"
            f"Message-ID: <{'s' if spam else 'h'}{i}@gen.test>\r\n\r\n"
            f"{body}\r\n")


def stats(out):
    return {k: v for k, v in re.findall(r"^(\w+): (\S+)", out, re.M)}


class TrainCliTest(unittest.TestCase):
    def setUp(self):
        self.inst = Instance()
        self.addCleanup(self.inst.cleanup)
        self.corpus = tempfile.mkdtemp(prefix="postern-corpus-")
        self.addCleanup(shutil.rmtree, self.corpus, True)
        rnd = random.Random(7)
        # spam: a plain directory of .eml files; ham: a Maildir
        os.makedirs(os.path.join(self.corpus, "spam"))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.corpus, "ham", sub))
        for i in range(30):
            with open(os.path.join(self.corpus, "spam", f"{i}.eml"),
                      "w") as f:
                f.write(generated(True, i, rnd))
            sub = "cur" if i % 2 else "new"
            with open(os.path.join(self.corpus, "ham", sub,
                                   f"{i}.host:2,S"), "w") as f:
                f.write(generated(False, i, rnd))
        # a half-written message in tmp/ is not read
        with open(os.path.join(self.corpus, "ham", "tmp", "x"), "w") as f:
            f.write(generated(True, 999, rnd))
        self.fresh = {}
        for cls in ("spam", "ham"):
            path = os.path.join(self.corpus, f"fresh-{cls}.eml")
            with open(path, "w") as f:
                f.write(generated(cls == "spam", 5000, rnd))
            self.fresh[cls] = path

    def spam(self, *args):
        r = self.inst_cmd("spam", *args)
        return r

    def inst_cmd(self, *args):
        from harness import postern
        return postern(self.inst.dir, *args)

    def test_train_then_classify(self):
        site = os.path.join(self.inst.dir, "store", ".postern", "bayes")
        # nothing learned: no verdict
        r = self.spam("classify", self.fresh["spam"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "-1")
        self.assertIn("bayes_min_spam", r.stderr)
        self.assertFalse(os.path.exists(site))

        r = self.spam("train", "--spam", os.path.join(self.corpus, "spam"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("learned 30 as spam", r.stdout)
        r = self.spam("train", "--ham", os.path.join(self.corpus, "ham"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("learned 30 as ham", r.stdout)
        self.assertTrue(os.path.isfile(site))
        # hashes and counts only: no word of the corpus in the file
        with open(site, "rb") as f:
            raw = f.read()
        for w in ("viagra", "lottery", "meeting", "gen.test"):
            self.assertNotIn(w.encode(), raw)

        r = self.spam("stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = stats(r.stdout)
        self.assertEqual((s["spam"], s["ham"], s["ready"]),
                         ("30", "30", "yes"))

        p_spam = float(self.spam("classify", self.fresh["spam"]).stdout)
        p_ham = float(self.spam("classify", self.fresh["ham"]).stdout)
        self.assertGreater(p_spam, 0.9)
        self.assertLess(p_ham, 0.1)

        # the same directory again: nothing new
        r = self.spam("train", "--spam", os.path.join(self.corpus, "spam"))
        self.assertIn("learned 0 as spam", r.stdout)
        self.assertIn("30 learned before", r.stdout)
        # the ham, relearned as spam, moves: the verdict on ham flips
        r = self.spam("train", "--spam", os.path.join(self.corpus, "ham"))
        self.assertIn("30 moved from ham", r.stdout)
        s = stats(self.spam("stats").stdout)
        self.assertEqual((s["spam"], s["ham"], s["ready"][:2]),
                         ("60", "0", "no"))
        r = self.spam("train", "--ham", os.path.join(self.corpus, "ham"))
        self.assertIn("30 moved from spam", r.stdout)
        self.assertLess(float(self.spam("classify",
                                        self.fresh["ham"]).stdout), 0.1)

    def test_training_changes_a_later_verdict(self):
        self.spam("train", "--spam", os.path.join(self.corpus, "spam"))
        self.spam("train", "--ham", os.path.join(self.corpus, "ham"))
        garden = os.path.join(self.corpus, "garden.eml")
        with open(garden, "w") as f:
            f.write("Subject: greenhouse\r\n\r\ntomatoes cucumbers "
                    "greenhouse seedlings compost mulch\r\n")
        before = float(self.spam("classify", garden).stdout)
        self.assertTrue(0.2 < before < 0.8, before)
        more = os.path.join(self.corpus, "garden-spam")
        os.makedirs(more)
        for i in range(10):
            with open(os.path.join(more, str(i)), "w") as f:
                f.write(f"Message-ID: <g{i}@x>\r\nSubject: greenhouse\r\n"
                        f"\r\ntomatoes cucumbers greenhouse seedlings "
                        f"compost mulch number{i}\r\n")
        r = self.spam("train", "--spam", more)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(float(self.spam("classify", garden).stdout), 0.9)

    def test_mbox(self):
        rnd = random.Random(11)
        path = os.path.join(self.corpus, "spam.mbox")
        with open(path, "w") as f:
            for i in range(25):
                f.write(f"From promo@deals.test Tue Dec  1 10:00:00 2026\n")
                f.write(generated(True, 100 + i, rnd).replace("\r\n", "\n"))
                f.write(">From the desk of the beneficiary\n\n")
        r = self.spam("train", "--spam", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("learned 25 as spam", r.stdout)
        # a directory holding the mbox and single messages
        mixed = os.path.join(self.corpus, "mixed")
        os.makedirs(mixed)
        shutil.copy(path, mixed)
        for i in range(3):
            with open(os.path.join(mixed, f"{i}.eml"), "w") as f:
                f.write(generated(True, 200 + i, rnd))
        r = self.spam("train", "--spam", mixed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("learned 3 as spam", r.stdout)
        self.assertIn("25 learned before", r.stdout)
        s = stats(self.spam("stats").stdout)
        self.assertEqual(s["spam"], "28")

    def test_user_database_and_errors(self):
        r = self.spam("train", "--ham", "--user", BOB,
                      os.path.join(self.corpus, "ham"))
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(self.inst.dir, "store", "example.test", "bob",
                            "bayes")
        self.assertTrue(os.path.isfile(path))
        s = stats(self.spam("stats", "--user", BOB).stdout)
        self.assertEqual((s["spam"], s["ham"]), ("0", "30"))
        # the site database is another one
        s = stats(self.spam("stats").stdout)
        self.assertEqual((s["spam"], s["ham"]), ("0", "0"))
        # usage errors, unreadable input, a damaged database
        self.assertEqual(self.spam("train", self.corpus).returncode, 2)
        self.assertEqual(self.spam("train", "--spam", "--ham",
                                   self.corpus).returncode, 2)
        r = self.spam("train", "--spam", "/nonexistent/x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/x", r.stderr)
        r = self.spam("stats", "--user", "../x@example.test")
        self.assertEqual(r.returncode, 1)
        with open(path, "wb") as f:
            f.write(b"garbage")
        r = self.spam("train", "--spam", "--user", BOB, self.fresh["spam"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("damaged", r.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"garbage")


class ImapTrainTest(ImapTest):
    def stats(self, user):
        r = self.inst.cmd("spam", "stats", "--user", user)
        self.assertEqual(r.returncode, 0, r.stderr)
        return stats(r.stdout)

    def test_move_into_and_out_of_junk(self):
        rnd = random.Random(3)
        c = self.inst.imap(BOB)
        for i in range(6):
            typ, _ = c.append("INBOX", None, None,
                              generated(True, i, rnd).encode())
            self.assertEqual(typ, "OK")
        c.select("INBOX")
        db = os.path.join(self.inst.dir, "store", "example.test", "bob",
                          "bayes")
        self.assertFalse(os.path.exists(db))
        # COPY to another folder does not train
        typ, _ = c.copy("1", "Archive")
        self.assertEqual(typ, "OK")
        self.assertFalse(os.path.exists(db))
        typ, _ = c._simple_command("MOVE", "1:5", "Junk")
        self.assertEqual(typ, "OK")
        self.assertTrue(os.path.isfile(db))
        s = self.stats(BOB)
        self.assertEqual((s["spam"], s["ham"]), ("5", "0"))
        self.assertTrue(self.inst.wait_log(
            r"bob@example.test: bayes: class=spam learned=5 moved=0"))
        # COPY into Junk trains too; the copy of a known message is known
        typ, _ = c.copy("1", "Junk")
        self.assertEqual(typ, "OK")
        s = self.stats(BOB)
        self.assertEqual((s["spam"], s["ham"]), ("6", "0"))
        # out of Junk: the message moves from spam to ham
        c.select("Junk")
        typ, _ = c._simple_command("MOVE", "1:2", "INBOX")
        self.assertEqual(typ, "OK")
        s = self.stats(BOB)
        self.assertEqual((s["spam"], s["ham"]), ("4", "2"))
        # nothing of alice's, nothing in the site database
        self.assertFalse(os.path.exists(os.path.join(
            self.inst.dir, "store", "example.test", "alice", "bayes")))
        self.assertFalse(os.path.exists(os.path.join(
            self.inst.dir, "store", ".postern", "bayes")))
        # the message text is not in the database
        with open(db, "rb") as f:
            raw = f.read()
        self.assertNotIn(b"gen.test", raw)
        c.logout()

    def test_training_failure_does_not_fail_the_move(self):
        c = self.inst.imap(BOB)
        c.append("INBOX", None, None,
                 generated(True, 1, random.Random(1)).encode())
        db = os.path.join(self.inst.dir, "store", "example.test", "bob",
                          "bayes")
        with open(db, "wb") as f:
            f.write(b"not a database")
        c.select("INBOX")
        typ, _ = c._simple_command("MOVE", "1", "Junk")
        self.assertEqual(typ, "OK")
        c.select("Junk")
        typ, data = c.search(None, "ALL")
        self.assertEqual(data, [b"1"])
        self.assertTrue(self.inst.wait_log(r"bob@example.test: bayes: "
                                           r"cannot open"))
        # another trainer holds the lock: imapd does not wait for it
        os.unlink(db)
        c.append("INBOX", None, None,
                 generated(True, 2, random.Random(2)).encode())
        with open(db + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            c.select("INBOX")
            typ, _ = c._simple_command("MOVE", "1", "Junk")
            self.assertEqual(typ, "OK")
        self.assertTrue(self.inst.wait_log(r"bob@example.test: bayes: "
                                           r"cannot open .*busy"))
        self.assertFalse(os.path.exists(db))
        c.logout()


class ImapNoLearningTest(ImapTest):
    extra_conf = "spam_user_learning = no\n"

    def test_setting_off(self):
        c = self.inst.imap(BOB)
        c.append("INBOX", None, None,
                 generated(True, 1, random.Random(1)).encode())
        c.select("INBOX")
        typ, _ = c._simple_command("MOVE", "1", "Junk")
        self.assertEqual(typ, "OK")
        self.assertFalse(os.path.exists(os.path.join(
            self.inst.dir, "store", "example.test", "bob", "bayes")))
        c.logout()


if __name__ == "__main__":
    unittest.main()
