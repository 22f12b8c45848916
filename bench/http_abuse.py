"""Attack the HTTP door: run the Procfile's `web` command and throw unsigned, malformed, huge and stalled requests.

Usage: .venv/bin/python bench/http_abuse.py [--per-class 20] [--stalled 50] [--commands 40] [--huge-mb 400]

Starts `uvicorn --factory bot.slack.asgi:create_app` exactly as the Procfile does (config from a
temp file, the Slack stand-in as Web API, a local Maildir as the mailbox), then:
  1. sends --per-class requests of each class (unsigned with a bad timestamp, wrong signature,
     stale timestamp, signed but malformed body) and counts the status codes; every request names a
     response_url on the stand-in, which must never be called;
  2. sends one --huge-mb body (declared and streamed) and reads the worker's peak RSS;
  3. holds --stalled connections that sent headers and part of a body, and meanwhile times
     --commands signed /bouncecheck requests (the ack) and /healthz.
Prints the counts, 5xx (want 0), peak RSS, and the ack p50/p95 while stalled (want p95 < 1 s).
Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import free_port
from tests.servers.http import healthz
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import SECRET, signed_post

ROOT = Path(__file__).resolve().parent.parent


def config(tmp: Path, slack: SlackStandIn) -> Path:
    path = tmp / "config.toml"
    (tmp / "Maildir" / "new").mkdir(parents=True)
    path.write_text(f"""\
[storage]
url = "sqlite:///{tmp / 'bench.db'}"
[[mailboxes]]
name = "postmaster"
path = "{tmp / 'Maildir'}"
[monitor]
domains = ["example.com"]
[dns]
nameservers = ["127.0.0.1:{free_port()}"]
timeout = "1s"
[slack]
mode = "http"
channel = "C0ALERTS"
api_url = "{slack.api_url}"
""")
    return path


def raw(port: int, head: bytes, body: bytes = b"") -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = sock.recv(64)
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def request(port: int, body: bytes, headers: dict[str, str]) -> int:
    lines = ["POST /slack/events HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    return raw(port, ("\r\n".join(lines) + "\r\n\r\n").encode(), body)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--commands", type=int, default=40)
    parser.add_argument("--huge-mb", type=int, default=400)
    parser.add_argument("--show-log", action="store_true", help="print the server's log at the end")
    parser.add_argument("--web", help="another web command to attack instead of the Procfile's (a peer)")
    args = parser.parse_args(argv)

    with SlackStandIn() as slack, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOUNCECHECK_"))},
               "BOUNCECHECK_CONFIG": str(config(Path(tmp), slack)), "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_SIGNING_SECRET": SECRET, "PORT": str(port)}
        procfile = (ROOT / "Procfile").read_text()
        web = args.web or next(line.split(":", 1)[1].strip() for line in procfile.splitlines()
                               if line.startswith("web:"))
        web = web.replace("${PORT:-3000}", str(port)).replace("0.0.0.0", "127.0.0.1")
        server = subprocess.Popen([str(Path(sys.executable).parent / web.split()[0]), *web.split()[1:]],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while healthz(url) not in (200, 503):
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            hook = slack.hook_url("attacker")
            form = urllib.parse.urlencode({"command": "/bouncecheck", "text": "example.com", "user_id": "U1",
                                           "channel_id": "C0ALERTS", "response_url": hook}).encode()
            now = str(int(time.time()))
            classes = {
                "timestamp abc": (form, {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64}),
                "timestamp 1e9": (form, {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=" + "0" * 64}),
                "wrong signature": (form, {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "1" * 64}),
                "stale timestamp": (form, {"X-Slack-Request-Timestamp": str(int(now) - 3600),
                                           "X-Slack-Signature": "v0=" + "0" * 64}),
            }
            counts: Counter[int] = Counter()
            for _name, (body, headers) in classes.items():
                for _ in range(args.per_class):
                    form_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
                    counts[request(port, body, form_headers)] += 1
            malformed = (b"payload=notjson", b"payload=%5B%5D", b"payload=null", b"\xff\xfe",
                         b"payload=" + b"%5B" * 100_000)
            for body in malformed:
                for _ in range(args.per_class):
                    status, _, _ = signed_post(url + "/slack/events", body,
                                               content_type="application/x-www-form-urlencoded")
                    counts[status] += 1
            huge = args.huge_mb * 1024 * 1024
            head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {huge}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n\r\n").encode()
            started = time.perf_counter()
            counts[raw(port, head, b"x" * 65536)] += 1
            huge_took = time.perf_counter() - started
            tried = sum(counts.values())

            held = []
            for _ in range(args.stalled):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\n\r\ncommand=")
                held.append(sock)
            time.sleep(0.5)
            acks, health = [], []
            for n in range(args.commands):
                body = urllib.parse.urlencode({"command": "/bouncecheck", "text": "help", "user_id": f"U{n % 5}",
                                               "channel_id": "C0ALERTS", "response_url": slack.hook_url("ok")}).encode()
                status, _, took = signed_post(url + "/slack/events", body,
                                              content_type="application/x-www-form-urlencoded")
                acks.append(took if status == 200 else 99.0)
                started = time.perf_counter()
                health.append(time.perf_counter() - started if healthz(url) in (200, 503) else 99.0)
            for sock in held:
                sock.close()
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            try:
                _, err = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:  # a peer that does not stop on SIGTERM
                server.kill()
                _, err = server.communicate()

        ordered = sorted(acks)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
        attacker_calls = [c for c in slack.calls if c.path.endswith("/attacker")]
        print(f"requests tried: {tried} ({args.per_class} per class, 9 classes, 1 huge)")
        print(f"status counts: {dict(sorted(counts.items()))}; 5xx: {sum(n for s, n in counts.items() if s >= 500)}")
        print(f"response_url of unverified requests called: {len(attacker_calls)} times")
        print(f"{args.huge_mb} MB body refused in {huge_took * 1000:.0f} ms; server peak RSS {rss:.0f} MB")
        print(f"while {args.stalled} connections stall: ack p50 {ordered[len(ordered) // 2] * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms (want < 1000); /healthz max {max(health) * 1000:.0f} ms")
        log = err.decode(errors="replace")
        print(f"tracebacks in the server log: {log.count('Traceback')}")
        if args.show_log:
            print(log)
        return 0 if p95 < 1 and not attacker_calls and not any(s >= 500 for s in counts) else 1


if __name__ == "__main__":
    sys.exit(main())
