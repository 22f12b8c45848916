"""CLI contract: exit status 2 with one clear stderr line for bad usage or bad config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)


def test_no_command_is_usage_error() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "required" in result.stderr


def test_unknown_option_is_usage_error() -> None:
    result = run_cli("parse", "--frobnicate", "x.eml")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1


def test_scan_without_config_names_the_file(tmp_path: Path) -> None:
    result = run_cli("scan", "--once", cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert result.stderr.strip() == "bouncecheck: config file not found: config.toml"


def test_bad_config_value_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[monitor]\nwindow = "forever"\n')
    result = run_cli("scan", "--once", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "[monitor] window" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_of_a_private_ip_needs_no_dns_and_is_never_clean(tmp_path: Path) -> None:
    import json

    from tests.conftest import free_port

    config = tmp_path / "config.toml"
    config.write_text(f'[dns]\nnameservers = ["127.0.0.1:{free_port()}"]\ntimeout = "0.5s"\n')  # nothing listens
    result = run_cli("check", "--json", "--config", str(config), "169.254.169.254")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["verdict"], data["problems"]) == (
        "unknown", ["169.254.169.254 is not a public address: blocklists do not list it (link-local)"])
    text = run_cli("check", "--config", str(config), "::1")
    assert text.returncode == 0 and text.stdout.splitlines()[1:3] == [
        "could not tell, because:", "  - ::1 is not a public address: blocklists do not list it (loopback)"]


def test_config_mistakes_fail_at_start_in_one_line_naming_the_key(tmp_path: Path) -> None:
    """What used to crash with a traceback, be accepted and fail late, or flood the log (issue 14)."""
    cases = {
        '[monitor]\nwindow = "9999999999d"\n': "[monitor] window: '9999999999d' is longer than 10 years",
        "[monitor]\nwindow = 1e300\n": "[monitor] window: 1e+300 is longer than 10 years",
        '[schedule]\nscan_interval = "1ms"\n': "[schedule] scan_interval: at least 1s",
        '[[mailboxes]]\nname = "pm"\nhost = "imap.example.com"\nport = 99999\n': "[[mailboxes]] 'pm' port",
        '[[mailboxes]]\nname = "pm"\nhost = "imap.example.com"\nport = -1\n': "[[mailboxes]] 'pm' port",
        f'[[mailboxes]]\nname = "pm"\nhost = "imap.example.com"\nca_file = "{tmp_path}/no.pem"\n':
            f"[[mailboxes]] 'pm' ca_file: '{tmp_path}/no.pem' does not exist",
    }
    config = tmp_path / "bad.toml"
    for text, said in cases.items():
        config.write_text(text)
        result = run_cli("scan", "--once", "--config", str(config))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (text, result.stderr)
        assert said in result.stderr and "Traceback" not in result.stderr


def test_an_unset_secret_variable_is_named_before_anything_connects(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/b.db"\n[[mailboxes]]\nname = "pm"\n'
                      'host = "192.0.2.1"\nusername = "pm"\npassword_env = "PM_PASSWORD"\n'
                      '[dns]\nspamhaus_dqs_key_env = "DQS_KEY"\n')
    env = {"PATH": "/usr/bin:/bin"}
    scan = run_cli("scan", "--once", "--config", str(config), env=env)
    assert scan.returncode == 2 and scan.stderr.count("\n") == 1
    assert "[[mailboxes]] 'pm' password_env: environment variable PM_PASSWORD is not set" in scan.stderr
    assert "DQS_KEY" not in scan.stderr, "scan does not query the blacklists"
    run = run_cli("run", "--config", str(config), env=env)
    assert run.returncode == 2 and "PM_PASSWORD is not set" in run.stderr and "DQS_KEY is not set" in run.stderr
    checked = run_cli("config", "check", "--config", str(config), env={**env, "PM_PASSWORD": "secret-value"})
    assert checked.returncode == 2
    assert "[dns] spamhaus_dqs_key_env: environment variable DQS_KEY is not set" in checked.stderr
    shown = json.loads(checked.stdout)
    assert shown["environment"]["PM_PASSWORD"] == "set" and shown["environment"]["DQS_KEY"] == "not set"
    assert "secret-value" not in checked.stdout + checked.stderr
    assert shown["schedule"]["scan_interval"] == "2m" and shown["mailboxes"][0]["port"] is None


def test_config_check_hides_the_database_password_and_passes_a_good_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[storage]\nurl = "postgresql+psycopg://bc:hunter2@db.example/bc"\n')
    checked = run_cli("config", "check", "--config", str(config), env={"PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0 and checked.stderr.strip().endswith(": OK")
    assert "hunter2" not in checked.stdout
    assert json.loads(checked.stdout)["storage"]["url"].endswith(":***@db.example/bc")


def test_json_logs_are_one_object_per_line_with_time_level_and_what_they_are_about(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/b.db"\n[logging]\nformat = "json"\n'
                      f'[[mailboxes]]\nname = "local"\npath = "{maildir}"\n[monitor]\ndomains = ["example.com"]\n'
                      '[dns]\nnameservers = ["127.0.0.1:9"]\ntimeout = "0.2s"\n')
    result = run_cli("-v", "scan", "--once", "--config", str(config))
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert {line["level"] for line in lines} <= {"debug", "info", "warning", "error"}
    assert all(line["time"].endswith("Z") for line in lines)
    scanned = [line for line in lines if "new messages" in line["message"] or line.get("mailbox")]
    assert not scanned or all(line.get("mailbox") == "local" for line in scanned)


def test_a_failing_mailbox_logs_one_json_line_naming_it(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"  # cur/ is a file: the folder cannot be listed, at scan time
    (maildir / "new").mkdir(parents=True)
    (maildir / "tmp").mkdir()
    (maildir / "cur").write_text("")
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/b.db"\n[logging]\nformat = "json"\n'
                      f'[[mailboxes]]\nname = "broken"\npath = "{maildir}"\n')
    result = run_cli("scan", "--once", "--config", str(config))
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert errors[0]["level"] == "error" and errors[0]["mailbox"] == "broken"
    assert "cannot list" in errors[0]["message"]
    assert "traceback" not in errors[0]


def test_the_check_path_loads_nothing_heavy_before_its_first_query() -> None:
    """`bouncecheck check` starts in a third of a second: the charts, checkdmarc and the store load late."""
    probe = ("import sys; from bot import cli; from bot.reputation import command, check; "
             "print(','.join(m for m in ('matplotlib', 'checkdmarc', 'sqlalchemy', 'slack_bolt') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout


def test_a_local_mailbox_that_is_not_there_is_a_config_mistake(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/b.db"\n[[mailboxes]]\nname = "gone"\n'
                      f'path = "{tmp_path}/nowhere"\n')
    result = run_cli("scan", "--once", "--config", str(config))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"[[mailboxes]] 'gone' path: '{tmp_path}/nowhere' does not exist" in result.stderr
