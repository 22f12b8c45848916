"""CLI contract: exit status 2 with one clear stderr line for bad usage or bad config."""

from __future__ import annotations

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
