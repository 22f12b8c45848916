"""`bouncecheck parse`: the JSON line contract, the table, errors and exit status."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.parse_command import run_parse

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bounces"
KEYS = {"source", "kind", "mta", "reporting_mta", "recipients", "original", "cited_blocklists"}
RECIPIENT_KEYS = {"address", "action", "status", "reply_code", "reason", "hard", "diagnostic", "remote_mta"}
ORIGINAL_KEYS = {"message_id", "from", "to", "subject", "date", "ours"}


def _run(paths: list[str], *, as_json: bool = True) -> tuple[int, str]:
    out = io.StringIO()
    code = run_parse(paths, as_json=as_json, settings=Settings(), out=out)
    return code, out.getvalue()


def test_json_line_contract() -> None:
    code, text = _run([str(FIXTURES / "rfc3464-failed.eml")])
    assert code == 0
    [line] = text.splitlines()
    obj = json.loads(line)
    assert set(obj) >= KEYS
    assert obj["source"] == str(FIXTURES / "rfc3464-failed.eml")
    assert obj["kind"] == "bounce"
    [rcpt] = obj["recipients"]
    assert set(rcpt) >= RECIPIENT_KEYS
    assert (rcpt["status"], rcpt["reply_code"], rcpt["reason"], rcpt["hard"]) == ("5.1.1", "550", "userunknown", True)
    assert set(obj["original"]) >= ORIGINAL_KEYS
    assert obj["original"]["ours"] is None  # no [monitor] settings given


def test_missing_file_gives_error_line_and_exit_1() -> None:
    code, text = _run(["/nonexistent/x.eml", str(FIXTURES / "ordinary-mail.eml")])
    lines = [json.loads(line) for line in text.splitlines()]
    assert code == 1
    assert lines[0] == {"source": "/nonexistent/x.eml", "error": "no such file or directory"}
    assert lines[1]["kind"] == "not_bounce"
    assert lines[1]["recipients"] == [] and lines[1]["original"] is None


def test_maildir_lines_are_numbered(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    shutil.copy(FIXTURES / "rfc3464-failed.eml", tmp_path / "new" / "1.a")
    shutil.copy(FIXTURES / "autoreply-rfc3834.eml", tmp_path / "new" / "2.b")
    code, text = _run([str(tmp_path)])
    assert code == 0
    assert [(o["source"], o["kind"]) for o in map(json.loads, text.splitlines())] == [
        (f"{tmp_path}#1", "bounce"), (f"{tmp_path}#2", "autoreply")]


def test_table_output() -> None:
    code, text = _run([str(FIXTURES / "rfc3464-delayed-multi.eml"), str(FIXTURES / "rfc3464-blocked-spoofed.eml")],
                      as_json=False)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("SOURCE")
    assert "neko@slow.example.org" in lines[1] and "expired" in lines[1]
    assert "tora@full.example.org" in lines[2] and "mailboxfull" in lines[2]
    assert any("blocklists: zen.spamhaus.org" in line for line in lines)


def test_cli_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--json", str(FIXTURES / "arf-abuse.eml")]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "feedback"
