"""A MIME message with the hard parts (RFC 2045-2049, 2047 encoded words,
2231 parameters), shared by the imapd tests."""
import base64

PDF = bytes(range(256)) * 3
SAMPLE = (
    "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.org>\r\n"
    "To: Bob <bob@example.test>, undisclosed-recipients:;\r\n"
    'Cc: "Quoted, Name" <q@example.org>\r\n'
    "Subject: =?UTF-8?B?w4RwZmVsIHVuZCBCaXJuZW4=?=\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <mime@example.org>\r\n"
    "In-Reply-To: <parent@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="outer"\r\n'
    "\r\n"
    "This is a multipart message.\r\n"
    "--outer\r\n"
    'Content-Type: multipart/alternative; boundary="inner"\r\n'
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe aus K=C3=B6ln\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Hello</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*0*=UTF-8''r%C3%A9; filename*1*=sum%C3%A9.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    + "\r\n".join(base64.encodebytes(PDF).decode().split("\n")).rstrip()
    + "\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@example.org\r\n"
    "Subject: inner message\r\n"
    "\r\n"
    "Inner body line.\r\n"
    "--outer--\r\n")
