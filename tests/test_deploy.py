"""The deploy files: the Dockerfile passes hadolint, the systemd unit is hardened and runs `bouncecheck run`,
the compose file starts the bot after a healthy PostgreSQL."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001" in text and 'CMD ["run"]' in text and "HEALTHCHECK" in text


def test_the_systemd_unit_runs_the_bot_as_its_own_user_on_a_read_only_system(tmp_path: Path) -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(DEPLOY / "bouncecheck.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("bouncecheck run") and service["User"] == "bouncecheck"
    assert service["RestartPreventExitStatus"] == "2", "a config mistake (exit 2) is not restarted in a loop"
    hardening = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                 "StateDirectory": "bouncecheck", "CapabilityBoundingSet": ""}
    assert {key: service.get(key) for key in hardening} == hardening
    if shutil.which("systemd-analyze"):  # systemd's own reading of every directive, with this checkout's binary
        here = tmp_path / "bouncecheck.service"
        here.write_text((DEPLOY / "bouncecheck.service").read_text().replace(
            "/opt/bouncecheck/bin/bouncecheck", str(Path(sys.executable).parent / "bouncecheck")))
        result = subprocess.run(["systemd-analyze", "verify", str(here)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_compose_starts_the_bot_after_a_healthy_postgresql() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].startswith("postgres:") and "pg_isready" in db["healthcheck"]["test"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY.parent / bot["build"]["dockerfile"]).exists()
    assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"]
    assert "pgdata" in compose["volumes"]
