"""MIME reading over small messages: one table, the leaves each message splits into."""

from __future__ import annotations

import pytest

from bot.bounces.message.mime import leaves, read_entity

Leaf = tuple[str, str, str | None]  # content type, decoded text, filename

CASES: dict[str, tuple[bytes, tuple[Leaf, ...]]] = {
    "single-part": (b"Subject: x\n\nhello\n", (("text/plain", "hello\n", None),)),
    "crlf-made-lf": (b"Subject: x\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld\r\n",
                     (("text/plain", "hello\nworld\n", None),)),
    # blank lines an MUA put above the first header do not make the header body
    "leading-blank-lines": (b"\n \nSubject: x\n\nhello\n", (("text/plain", "hello\n", None),)),
    "report": (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
        b"--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\n"
        b"Status: 5.1.1\n--B\nContent-Type: text/rfc822-headers\n\nSubject: hi\n--B--\n",
        (("text/plain", "failed", None), ("message/delivery-status", "Status: 5.1.1", None),
         ("text/rfc822-headers", "Subject: hi", None))),
    "base64": (b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSm9zw6k=\n",
               (("text/plain", "José", None),)),
    "quoted-printable": (
        b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"M=FCller=\n here\n",
        (("text/plain", "Müller here\n", None),)),
    # a binary leaf is listed with its name but never decoded
    "binary-attachment": (
        b"Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nsee attached\n"
        b"--B\nContent-Type: application/zip\nContent-Disposition: attachment; filename=\"a.zip\"\n\n"
        b"PK\x03\x04\n--B--\n",
        (("text/plain", "see attached", None), ("application/zip", "", "a.zip"))),
    # the declared boundary never occurs: the one the body uses twice is taken
    "boundary-guessed": (
        b"Content-Type: multipart/mixed; boundary=\"wrong\"\n\n--right-one\nContent-Type: text/plain\n\none\n"
        b"--right-one\nContent-Type: text/html\n\n<p>two</p>\n--right-one--\n",
        (("text/plain", "one", None), ("text/html", "<p>two</p>", None))),
    "multipart-without-parts": (b"Content-Type: multipart/mixed; boundary=\"B\"\n\njust text\n",
                                (("text/plain", "just text\n", None),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_splits_into_its_leaves(name: str) -> None:
    raw, want = CASES[name]
    assert tuple((p.content_type, p.text, p.filename) for p in leaves(read_entity(raw))) == want
