"""imapd (issue 5): FETCH and SEARCH computed from the decrypted message by
the MIME parser: ENVELOPE and BODYSTRUCTURE of a nested multipart with
RFC 2047 words and RFC 2231 parameters, sections and partials, BINARY
decoding, and SEARCH over decoded headers and bodies."""
import base64
import os
import unittest

from imaptest import BOB, ImapTest
from mime_sample import PDF, SAMPLE


def read(path):
    with open(path, "rb") as f:
        return f.read()


def joined(data):
    """imaplib's FETCH data (literals split out) as the bytes on the wire,
    literals inlined."""
    out = b""
    for d in data:
        out += d[0] + b"\r\n" + d[1] if isinstance(d, tuple) else d
    return out


class MimeTest(ImapTest):
    def setUp(self):
        super().setUp()
        # APPENDed, so that the stored bytes are exactly SAMPLE's (delivery
        # adds Return-Path and Received).
        self.c = self.client()
        self.assertEqual(self.c.append("INBOX", None, None,
                                       SAMPLE.encode())[0], "OK")
        self.c.select("INBOX")

    def fetch(self, item):
        typ, data = self.c.fetch("1", item)
        self.assertEqual(typ, "OK")
        return joined(data)

    def test_envelope(self):
        self.assertEqual(self.fetch("ENVELOPE"), (
            b'1 (ENVELOPE ("Tue, 24 Nov 2026 10:00:00 +0100" '
            b'"=?UTF-8?B?w4RwZmVsIHVuZCBCaXJuZW4=?=" '
            + b'(("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "jm" '
            b'"example.org")) ' * 3 +
            b'(("Bob" NIL "bob" "example.test")'
            b'(NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) '
            b'(("Quoted, Name" NIL "q" "example.org")) NIL '
            b'"<parent@example.org>" "<mime@example.org>"))'))

    def test_bodystructure(self):
        inner_env = (b'(NIL "inner message" '
                     + b'((NIL NIL "inner" "example.org")) ' * 3
                     + b'NIL NIL NIL NIL NIL)')
        self.assertEqual(self.fetch("BODYSTRUCTURE"), (
            b'1 (BODYSTRUCTURE ((('
            b'"TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE"'
            b' 29 1 NIL NIL NIL NIL)('
            b'"TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 1 NIL NIL '
            b'NIL NIL) "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL)('
            # RFC 2231: continuations joined, charset decoded to UTF-8.
            b'"APPLICATION" "PDF" ("NAME" {12}\r\nr\xc3\xa9sum\xc3\xa9.pdf) '
            b'NIL NIL "BASE64" 1050 NIL ("attachment" ("FILENAME" {12}\r\n'
            b'r\xc3\xa9sum\xc3\xa9.pdf)) NIL NIL)('
            b'"MESSAGE" "RFC822" NIL NIL NIL "7BIT" 67 ' + inner_env +
            b' ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 16 1 '
            b'NIL NIL NIL NIL) 4 NIL NIL NIL NIL) '
            b'"MIXED" ("BOUNDARY" "outer") NIL NIL NIL))'))
        # BODY is BODYSTRUCTURE without the extension data.
        self.assertTrue(self.fetch("BODY").startswith(
            b'1 (BODY ((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL '
            b'"QUOTED-PRINTABLE" 29 1)'))

    def test_sections_and_partials(self):
        whole = self.fetch("BODY.PEEK[]")
        self.assertEqual(whole, b"1 (BODY[] {%d}\r\n" % len(SAMPLE)
                         + SAMPLE.encode() + b")")
        self.assertEqual(self.fetch("RFC822.SIZE"),
                         b"1 (RFC822.SIZE %d)" % len(SAMPLE))
        self.assertEqual(self.fetch("BODY.PEEK[1.1]"),
                         b"1 (BODY[1.1] {29}\r\n"
                         b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln)")
        self.assertEqual(self.fetch("BODY.PEEK[1.1.MIME]"), (
            b"1 (BODY[1.1.MIME] {88}\r\nContent-Type: text/plain; "
            b"charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
            b"\r\n\r\n)"))
        self.assertEqual(self.fetch("BODY.PEEK[3.HEADER]"), (
            b"1 (BODY[3.HEADER] {51}\r\nFrom: inner@example.org\r\n"
            b"Subject: inner message\r\n\r\n)"))
        self.assertEqual(self.fetch("BODY.PEEK[3.TEXT]"),
                         b"1 (BODY[3.TEXT] {16}\r\nInner body line.)")
        self.assertEqual(self.fetch("BODY.PEEK[3.1]"),
                         b"1 (BODY[3.1] {16}\r\nInner body line.)")
        self.assertEqual(self.fetch("BODY.PEEK[2]<4.8>"),
                         b"1 (BODY[2]<4> {8}\r\n" +
                         base64.b64encode(PDF)[4:12] + b")")
        fields = (b'Subject: =?UTF-8?B?w4RwZmVsIHVuZCBCaXJuZW4=?=\r\n'
                  b'Message-ID: <mime@example.org>\r\n\r\n')
        self.assertEqual(self.fetch("BODY.PEEK[HEADER.FIELDS (Subject "
                                    "message-id)]"),
                         b'1 (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] '
                         b'{%d}\r\n%s)' % (len(fields), fields))
        no = self.fetch("BODY.PEEK[HEADER.FIELDS.NOT (From To Cc Subject "
                        "Date Message-ID In-Reply-To)]")
        rest = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; '
                b'boundary="outer"\r\n\r\n')
        self.assertEqual(no, b'1 (BODY[HEADER.FIELDS.NOT (FROM TO CC SUBJECT '
                         b'DATE MESSAGE-ID IN-REPLY-TO)] {%d}\r\n%s)' %
                         (len(rest), rest))
        # A part past the end is empty, not an error (RFC 3501 6.4.5).
        self.assertIn(self.fetch("BODY.PEEK[9]"),
                      (b'1 (BODY[9] "")', b'1 (BODY[9] {0}\r\n)'))
        self.assertIn(self.fetch("BODY.PEEK[]<100000.10>"),
                      (b'1 (BODY[]<100000> "")',
                       b'1 (BODY[]<100000> {0}\r\n)'))
        # Nothing above set \Seen; BODY[...] without PEEK does.
        self.assertEqual(self.fetch("FLAGS"), b"1 (FLAGS ())")
        self.assertIn(b"FLAGS (\\Seen)", self.fetch("BODY[1.2]"))

    def test_binary(self):
        self.assertEqual(self.fetch("BINARY.PEEK[1.1]"),
                         b"1 (BINARY[1.1] {17}\r\n" +
                         "Grüße aus Köln".encode() + b")")
        self.assertEqual(self.fetch("BINARY.PEEK[2]"),
                         b"1 (BINARY[2] ~{768}\r\n" + PDF + b")")
        self.assertEqual(self.fetch("BINARY.SIZE[2]"),
                         b"1 (BINARY.SIZE[2] 768)")
        self.assertEqual(self.fetch("BINARY.PEEK[2]<256.4>"),
                         b"1 (BINARY[2]<256> ~{4}\r\n\x00\x01\x02\x03)")
        # A multipart part has no transfer encoding: its bytes as stored.
        self.assertEqual(self.fetch("BINARY.PEEK[1]")[10:],
                         self.fetch("BODY.PEEK[1]")[8:])

    def test_search_decoded(self):
        c = self.c
        for key, text in (("SUBJECT", "äpfel UND"), ("FROM", "MÜLLER"),
                          ("BODY", "GRÜẞE"),
                          ("TEXT", "inner MESSAGE"), ("BODY", "hello"),
                          ("TO", "undisclosed"), ("CC", "quoted, name")):
            c.literal = text.encode()
            self.assertEqual(c.search("UTF-8", key)[1], [b"1"], key + text)
        self.assertEqual(c.search(None, "HEADER", "Message-ID",
                                  "mime@")[1], [b"1"])
        self.assertEqual(c.search(None, "HEADER", "In-Reply-To", '""')[1],
                         [b"1"])
        self.assertEqual(c.search(None, "HEADER", "X-Missing", '""')[1],
                         [b""])
        # The base64 text of the attachment is not its content.
        self.assertEqual(c.search(None, "BODY", "AAECAwQF")[1], [b""])
        self.assertEqual(c.search(None, "SENTON", "24-Nov-2026")[1],
                         [b"1"])
        self.assertEqual(c.search(None, "LARGER", str(len(SAMPLE) - 1),
                                  "SMALLER", str(len(SAMPLE) + 1))[1],
                         [b"1"])


class CacheTest(ImapTest):
    """ENVELOPE, BODY and BODYSTRUCTURE come from an encrypted per-folder
    cache once computed."""

    def test_cache_is_used_encrypted_and_rebuilt(self):
        c = self.client()
        for i in range(3):
            c.append("INBOX", None, None,
                     SAMPLE.replace("mime@", f"mime{i}@").encode())
        c.select("INBOX")
        first = joined(c.fetch("1:*", "(ENVELOPE BODYSTRUCTURE BODY)")[1])
        mdir = os.path.join(self.inst.dir, "store", "example.test", "bob")
        chunk = os.path.join(mdir, "postern-cache.0")
        with open(chunk, "rb") as f:
            stored = f.read()
        # The stored format, with nothing of the message readable.
        self.assertEqual(stored[:8], b"PSTRNMSG")
        for clear in (b"example.org", b"inner message", b"ALTERNATIVE",
                      b"J=C3=BCrgen"):
            self.assertNotIn(clear, stored)
        # With the message files unreadable, the cache still answers
        # (and the content itself does not).
        files = self.inst.mailbox_files(BOB)
        saved = {}
        for p in files:
            saved[p] = read(p)
            with open(p, "wb") as f:
                f.write(b"damaged")
        self.assertEqual(joined(c.fetch("1:*", "(ENVELOPE BODYSTRUCTURE "
                                        "BODY)")[1]), first)
        self.assertEqual(c.fetch("2", "BODY.PEEK[]")[0], "NO")
        for p, data in saved.items():
            with open(p, "wb") as f:
                f.write(data)
        # A damaged chunk is rebuilt (without the expunged message).
        c.store("1", "+FLAGS", "\\Deleted")
        c.expunge()
        with open(chunk, "wb") as f:
            f.write(b"junk")
        again = joined(c.fetch("1:*", "(ENVELOPE BODYSTRUCTURE BODY)")[1])
        self.assertEqual(again.count(b"ENVELOPE"), 2)
        self.assertIn(b"<mime2@example.org>", again)
        with open(chunk, "rb") as f:
            self.assertEqual(f.read()[:8], b"PSTRNMSG")
        self.assertTrue(self.inst.wait_log(r"damaged or stale cache"))
        # DELETE takes the cache with the folder.
        c.create("Box")
        c.append("Box", None, None, SAMPLE.encode())
        c.select("Box")
        c.fetch("1", "ENVELOPE")
        c.select("INBOX")
        self.assertEqual(c.delete("Box")[0], "OK")
        self.assertFalse(os.path.exists(os.path.join(mdir, ".Box")))


if __name__ == "__main__":
    unittest.main()
