"""Sent volume from a Prometheus instant query, one per domain; called by the volume job for `kind = "prometheus"`.

The query is the operator's PromQL giving the messages sent in a window, with `{domain}` and
`{window}` written where the domain and the window go, e.g.
`sum(increase(postfix_messages_sent_total{sender_domain="{domain}"}[{window}]))`. The two
placeholders are replaced literally rather than by `str.format`, so PromQL's own braces (label
matchers) need no doubling. urllib is enough here: one GET per domain, no new dependency.
"""

from __future__ import annotations

import base64
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.redact import redact
from bot.volume import Collected, VolumeError

__all__ = ["duration", "query_sent"]

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def query_sent(url: str, query: str, domains: Iterable[str], window: timedelta, now: datetime, *,
               timeout: float, username: str = "", password: str = "") -> Collected:
    """Messages sent per domain in the `window` before `now`, as `Collected.totals[domain] = (now, window, n)`.

    `domains` are names, not patterns: the caller picks the monitored domains this source covers.
    The sum of the answer's samples (a vector of any number of series, or a scalar) is the count,
    rounded to a whole number (`increase()` extrapolates). A vector with no series is a count of 0,
    but only because Prometheus answered `"status": "success"`; an unreachable server, a timeout, an
    HTTP error, `"status": "error"`, a range vector, a string or a sample that is not a finite,
    non-negative number raises `VolumeError`, never a 0. `username` and `password` (the caller reads
    it from the environment) go in a Basic Authorization header, never in the URL or a message.
    """
    base, headers = _split_credentials(url)
    if username:
        headers = {"Authorization": _basic(username, password)}
    collected = Collected()
    for domain in domains:
        promql = query.replace("{domain}", domain).replace("{window}", duration(window))
        where = f"Prometheus {redact(url)}: query for {domain}"
        answer = _get(f"{base.rstrip('/')}/api/v1/query", {"query": promql, "time": _unix(now)}, headers,
                      timeout, where)
        collected.totals[domain] = (now, window, _count(answer, where))
    return collected


def duration(window: timedelta) -> str:
    """A Prometheus duration for a window: 1 h → "1h", 90 min → "90m", 1.5 s → "1500ms"."""
    millis = round(window.total_seconds() * 1000)
    if millis <= 0:
        raise ValueError(f"a Prometheus window must be positive, got {window}")
    if millis % 1000:
        return f"{millis}ms"
    seconds = millis // 1000
    unit, size = next((u, s) for u, s in _UNITS if seconds % s == 0)
    return f"{seconds // size}{unit}"


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """`https://user:pw@host` → the URL without them and a Basic Authorization header (urllib sends neither)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, {}
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), {"Authorization": _basic(user, password)}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _unix(now: datetime) -> str:
    return f"{now.timestamp():.3f}".rstrip("0").rstrip(".")


def _get(endpoint: str, params: dict[str, str], headers: dict[str, str], timeout: float, where: str) -> Any:
    """The decoded JSON body of a successful query; every failure as one `VolumeError` line."""
    request = urllib.request.Request(f"{endpoint}?{urllib.parse.urlencode(params)}",
                                     headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            # Prometheus answers 400/422/503 with {"status": "error", "error": "..."}: say its words.
            reason = _error_text(exc.read()) or exc.reason
        raise VolumeError(f"{where} failed: HTTP {exc.code}: {reason}") from exc
    except urllib.error.URLError as exc:
        reason = "timed out" if isinstance(exc.reason, TimeoutError) else _oserror(exc.reason)
        raise VolumeError(f"{where} failed: {reason}") from exc
    except TimeoutError as exc:  # the answer started, then stalled
        raise VolumeError(f"{where} failed: timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise VolumeError(f"{where} failed: {_oserror(exc)}") from exc
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise VolumeError(f"{where} failed: the answer is not JSON: {body[:80]!r}") from exc
    if not isinstance(answer, dict):
        raise VolumeError(f"{where} failed: the answer is not a Prometheus API object: {body[:80]!r}")
    if answer.get("status") != "success":
        raise VolumeError(f"{where} failed: {_error_text(body) or 'status ' + repr(answer.get('status'))}")
    return answer


def _count(answer: dict[str, Any], where: str) -> int:
    """The sum of the samples of `data.result`: a vector's series, or a scalar's one value."""
    data = answer.get("data")
    kind, result = (data.get("resultType"), data.get("result")) if isinstance(data, dict) else (None, None)
    if kind == "vector" and isinstance(result, list):
        # {"metric": {...}, "value": [1767225600, "42"]} per series
        samples = [_value(series.get("value") if isinstance(series, dict) else None) for series in result]
    elif kind == "scalar":
        samples = [_value(result)]  # [1767225600, "42"]
    elif kind == "matrix":
        raise VolumeError(f"{where} answered a range vector (matrix): wrap the selector in increase(…[{{window}}])")
    else:
        raise VolumeError(f"{where} answered an unexpected result (resultType {kind!r})")
    total = 0.0
    for sample in samples:
        if (value := _number(sample)) is None:
            raise VolumeError(f"{where} answered {sample!r}, not a count of messages")
        total += value
    return round(total)


def _number(sample: object) -> float | None:
    """A sample as a count; None for what is not one ("NaN", "+Inf", a negative, not a number at all)."""
    if not isinstance(sample, str | int | float) or isinstance(sample, bool):
        return None
    try:
        value = float(sample)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _value(pair: object) -> object:
    """The value of a `[unix time, "value"]` pair; the pair itself when it is not one (reported as such)."""
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else pair


def _error_text(body: bytes) -> str:
    """Prometheus's `errorType: error`, or the start of a body that is not its JSON (a proxy's page)."""
    try:
        answer = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace")
    else:
        if not (isinstance(answer, dict) and answer.get("error")):
            return ""
        kind = answer.get("errorType")
        text = f"{kind}: {answer['error']}" if kind else str(answer["error"])
    return " ".join(text.split())[:300]  # one line, whatever the server sent


def _oserror(exc: object) -> str:
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
