"""Hostile input: mutated fixtures never make parse() raise (strict mode lets bugs through)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bounces import parse
from bot.models import Ownership

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "bounces").glob("*.eml"))
SAMPLES = [p.read_bytes() for p in FIXTURES]
OURS = Ownership(domains=("example.com",), sending_ips=("203.0.113.10",))
NASTY = [b"\r", b"\n", b"\x00", b"\xff", b"=?", b"?=", b"--", b":", b";", b"\"", b"=?utf-8?b?", b"Content-Type: ",
         b"boundary=", b"\n\n", b"multipart/report", b"message/rfc822", b"Final-Recipient: rfc822; ",
         b"Status: 5.", b"\xe3\x81\x82", b"\x1b$B", b"Content-Transfer-Encoding: base64\n",
         # the runs that made a pattern quadratic (tests/bounces/test_detectors.py REWRITES)
         b"\n" * 64, b"<" * 64, b"-" * 64, b"\t" * 64, b"ab@c." * 16]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["insert", "delete", "flip", "truncate"]))
        if op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=64))]
        elif op == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        else:
            del data[at:]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated(), cap=st.sampled_from([4096, 10 * 1024 * 1024]))
def test_mutated_fixtures_never_raise(raw: bytes, cap: int) -> None:
    report = parse(raw, ownership=OURS, max_bytes=cap, strict=True)
    assert report.error is None


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=2048))
def test_random_bytes_never_raise(raw: bytes) -> None:
    parse(raw, strict=True)
