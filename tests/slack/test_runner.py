"""`bouncecheck run` as a process: HTTP mode under uvicorn (healthz, a signed command, clean SIGTERM, stalled clients),
and Socket Mode against the local websocket stand-in."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.servers.http import healthz
from tests.servers.slack_api import SlackStandIn
from tests.servers.socket_mode import SocketStandIn
from tests.slack.conftest import CHANNEL, SECRET, signed_post

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, slack: SlackStandIn, *, mode: str, port: int) -> Path:
    path.write_text(f"""
[storage]
url = "sqlite:///{path.parent / "bot.db"}"
[schedule]
scan_interval = "1h"
[monitor]
domains = []
[dns]
nameservers = ["127.0.0.1:9"]
timeout = "1s"
[slack]
mode = "{mode}"
channel = "{CHANNEL}"
api_url = "{slack.api_url}"
http_host = "127.0.0.1"
http_port = {port}
""")
    return path


def start(config: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def stand_in() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


def stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return process.returncode, output.decode()


def test_http_mode_serves_healthz_commands_and_stops_cleanly(tmp_path: Path, stand_in: SlackStandIn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(
        write_config(tmp_path / "config.toml", stand_in, mode="http", port=port), SLACK_SIGNING_SECRET=SECRET
    )
    try:
        deadline = time.monotonic() + 30
        while healthz(url) != 200:
            assert process.poll() is None, "the bot exited early"
            assert time.monotonic() < deadline, "healthz never answered 200"
            time.sleep(0.1)
        form = {
            "command": "/bouncecheck",
            "text": "help",
            "user_id": "U1",
            "channel_id": CHANNEL,
            "response_url": stand_in.hook_url(),
            "trigger_id": "t1",
        }
        body = urllib.parse.urlencode(form).encode()
        status, answer, _ = signed_post(url + "/slack/events", body, content_type="application/x-www-form-urlencoded")
        assert status == 200 and b"Usage" in answer
        bad, _, _ = signed_post(
            url + "/slack/events", body, content_type="application/x-www-form-urlencoded", secret="wrong"
        )
        assert bad == 401
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            scraped = response.read().decode()
            assert response.headers["Content-Type"].startswith("text/plain")
        # Read from the store at the scrape (the domain has no bounces yet), and counters of this process.
        assert "bouncecheck_outbox_pending 0.0" in scraped and "bouncecheck_outbox_dead_letters 0.0" in scraped
        assert "# TYPE bouncecheck_slack_api_errors_total counter" in scraped
    finally:
        code, output = stop(process)
    assert code == 0, output
    assert "Traceback" not in output


def stall(url: str, count: int) -> list[socket.socket]:
    """`count` connections that send their headers and a piece of a body, then nothing."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    held = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 2000\r\nX-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\n"
                     b"\r\ncommand=")
        held.append(sock)
    return held


def test_fifty_stalled_connections_do_not_starve_the_server(tmp_path: Path, stand_in: SlackStandIn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(write_config(tmp_path / "config.toml", stand_in, mode="http", port=port),
                    SLACK_SIGNING_SECRET=SECRET)
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while healthz(url) != 200:
            assert process.poll() is None and time.monotonic() < deadline, "the bot never became healthy"
            time.sleep(0.1)
        held = stall(url, 50)
        time.sleep(0.5)
        started = time.perf_counter()
        assert healthz(url) == 200
        body = urllib.parse.urlencode({"command": "/bouncecheck", "text": "help", "user_id": "U1",
                                       "channel_id": CHANNEL, "response_url": stand_in.hook_url(),
                                       "trigger_id": "t1"}).encode()
        status, answer, took = signed_post(url + "/slack/events", body,
                                           content_type="application/x-www-form-urlencoded")
        assert status == 200 and b"Usage" in answer
        assert took < 1 and time.perf_counter() - started < 2
    finally:
        for sock in held:
            sock.close()
        code, output = stop(process)
    assert code == 0, output
    assert "Traceback" not in output


def test_socket_mode_run(tmp_path: Path, stand_in: SlackStandIn) -> None:
    with SocketStandIn() as socket:
        stand_in.socket_url = f"ws://127.0.0.1:{socket.port}/link"
        process = start(
            write_config(tmp_path / "config.toml", stand_in, mode="socket", port=free_port()),
            SLACK_APP_TOKEN="xapp-test",
        )
        try:
            assert socket.got_ack.wait(30), "no ack over the socket"
        finally:
            code, output = stop(process)
        ack = next(m for m in socket.received if m.get("envelope_id") == "env-1")
        assert ack["payload"]["text"] == "Checking example.com…"
    assert code == 0, output


def test_a_refused_bot_token_at_start_up_is_one_line_and_exit_1(tmp_path: Path, stand_in: SlackStandIn) -> None:
    stand_in.fail("auth.test", 200, error="invalid_auth", count=50)
    process = start(write_config(tmp_path / "config.toml", stand_in, mode="http", port=free_port()),
                    SLACK_SIGNING_SECRET=SECRET)
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = output.decode()
    assert process.returncode == 1, text
    assert "Traceback" not in text
    assert "did not accept the bot token: invalid_auth" in text
