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
