"""Sent volume from a Prometheus query, against a local stand-in of its HTTP API."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.volume import VolumeError
from bot.volume.prometheus import duration, query_sent
from tests.conftest import free_port
from tests.servers.prometheus import PrometheusStandIn

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
QUERY = 'sum(increase(postfix_messages_sent_total{sender_domain="{domain}"}[{window}]))'


def promql(domain: str, window: str = "1h") -> str:
    return f'sum(increase(postfix_messages_sent_total{{sender_domain="{domain}"}}[{window}]))'


@pytest.fixture
def prometheus() -> Iterator[PrometheusStandIn]:
    with PrometheusStandIn() as stand_in:
        yield stand_in


def test_counts_per_domain_with_the_placeholders_filled_in(prometheus: PrometheusStandIn) -> None:
    prometheus.vector(promql("example.com"), "120.4", "30")  # two series (two MTAs), summed; increase() extrapolates
    prometheus.scalar(promql("shop.example"), 7)

    collected = query_sent(prometheus.url, QUERY, ["example.com", "shop.example"], HOUR, NOW, timeout=5)

    assert collected.totals == {"example.com": (NOW, HOUR, 150), "shop.example": (NOW, HOUR, 7)}
    assert [(c.path, c.query, c.time) for c in prometheus.calls] == [
        ("/api/v1/query", promql("example.com"), str(int(NOW.timestamp()))),
        ("/api/v1/query", promql("shop.example"), str(int(NOW.timestamp()))),
    ]
    assert not collected.counts and not collected.notes


def test_no_series_in_a_successful_answer_is_zero(prometheus: PrometheusStandIn) -> None:
    collected = query_sent(prometheus.url + "/", QUERY, ["quiet.example"], timedelta(minutes=90), NOW, timeout=5)

    assert collected.totals == {"quiet.example": (NOW, timedelta(minutes=90), 0)}
    assert prometheus.calls[0].query == promql("quiet.example", "90m")


@pytest.mark.parametrize(("window", "expected"), [
    (timedelta(hours=1), "1h"), (timedelta(minutes=90), "90m"), (timedelta(days=1), "1d"),
    (timedelta(hours=36), "36h"), (timedelta(seconds=45), "45s"), (timedelta(milliseconds=1500), "1500ms"),
], ids=["hour", "90-minutes", "day", "36-hours", "seconds", "milliseconds"])
def test_window_as_a_prometheus_duration(window: timedelta, expected: str) -> None:
    assert duration(window) == expected


def test_a_window_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        duration(timedelta(0))


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown(prometheus: PrometheusStandIn) -> None:
    url = prometheus.url.replace("http://", "http://bot:hunter2@")
    query_sent(url, QUERY, ["example.com"], HOUR, NOW, timeout=5)
    assert prometheus.calls[0].authorization == "Basic " + base64.b64encode(b"bot:hunter2").decode()

    prometheus.fail(503, text="Service Unavailable")
    with pytest.raises(VolumeError) as caught:
        query_sent(url, QUERY, ["example.com"], HOUR, NOW, timeout=5)
    assert "hunter2" not in str(caught.value)
    assert f"http://bot:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in str(caught.value)


@pytest.mark.parametrize(("failure", "says"), [
    ({"status": 500}, "HTTP 500: internal error"),
    ({"status": 400, "error": 'parse error at char 12: unexpected "}"'},
     'HTTP 400: bad_data: parse error at char 12: unexpected "}"'),
    ({"status": 200, "error": "query timed out in expression evaluation", "error_type": "timeout"},
     "timeout: query timed out in expression evaluation"),
    ({"status": 502, "text": "<html>\n<h1>502 Bad Gateway</h1>\n</html>"}, "HTTP 502: <html> <h1>502 Bad Gateway</h1>"),
], ids=["http-500", "status-error-400", "status-error-200", "proxy-page"])
def test_a_failed_query_says_what_happened(prometheus: PrometheusStandIn, failure: dict[str, object],
                                           says: str) -> None:
    prometheus.fail(**failure)  # type: ignore[arg-type]
    with pytest.raises(VolumeError) as caught:
        query_sent(prometheus.url, QUERY, ["example.com"], HOUR, NOW, timeout=5)
    message = str(caught.value)
    assert message.startswith(f"Prometheus {prometheus.url}: query for example.com failed: ")
    assert says in message and "\n" not in message


@pytest.mark.parametrize(("data", "says"), [
    ({"resultType": "vector", "result": [{"metric": {}, "value": [0, "NaN"]}]}, "answered 'NaN', not a count"),
    ({"resultType": "vector", "result": [{"metric": {}, "value": [0, "+Inf"]}]}, "answered '+Inf', not a count"),
    ({"resultType": "scalar", "result": [0, "many"]}, "answered 'many', not a count"),
    ({"resultType": "vector", "result": [{"metric": {}}]}, "answered None, not a count"),
    ({"resultType": "matrix", "result": []}, "range vector (matrix): wrap the selector in increase(…[{window}])"),
    ({"resultType": "string", "result": [0, "hello"]}, "unexpected result (resultType 'string')"),
], ids=["nan", "infinity", "not-a-number", "no-value", "matrix", "string"])
def test_an_answer_that_is_not_a_count_is_an_error(prometheus: PrometheusStandIn, data: dict[str, object],
                                                   says: str) -> None:
    prometheus.answers[promql("example.com")] = data
    with pytest.raises(VolumeError, match=r"query for example\.com answered") as caught:
        query_sent(prometheus.url, QUERY, ["example.com"], HOUR, NOW, timeout=5)
    assert says in str(caught.value)


def test_a_hung_server_times_out(prometheus: PrometheusStandIn) -> None:
    prometheus.fail(200, hang=10)
    started = time.monotonic()
    with pytest.raises(VolumeError, match=r"query for example\.com failed: timed out"):
        query_sent(prometheus.url, QUERY, ["example.com"], HOUR, NOW, timeout=0.3)
    assert time.monotonic() - started < 3


def test_nothing_listening_is_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(VolumeError) as caught:
        query_sent(url, QUERY, ["example.com"], HOUR, NOW, timeout=2)
    assert str(caught.value) == f"Prometheus {url}: query for example.com failed: Connection refused"


def test_the_first_failing_domain_stops_the_read(prometheus: PrometheusStandIn) -> None:
    prometheus.answers[promql("b.example")] = {"resultType": "vector", "result": [{"metric": {}, "value": [0, "x"]}]}
    with pytest.raises(VolumeError, match=r"query for b\.example answered"):
        query_sent(prometheus.url, QUERY, ["a.example", "b.example", "c.example"], HOUR, NOW, timeout=5)
    assert [c.query for c in prometheus.calls] == [promql("a.example"), promql("b.example")]


def test_username_and_password_from_the_environment_are_basic_auth(prometheus: PrometheusStandIn) -> None:
    """`username` and `password_env` in the config; the URL stays without credentials (review 16 #10)."""
    from bot.config import settings_from_mapping
    from bot.errors import ConfigError
    from bot.volume.job import read_source

    settings = settings_from_mapping({"monitor": {"domains": ["example.com"]}, "volume": [{
        "name": "prom", "kind": "prometheus", "url": prometheus.url, "query": QUERY, "username": "bot",
        "password_env": "PROM_PASSWORD"}]}, "test")
    collected, _ = read_source(settings.volume[0], settings, {"PROM_PASSWORD": "hunter2"}, NOW, None)
    assert prometheus.calls[0].authorization == "Basic " + base64.b64encode(b"bot:hunter2").decode()
    assert collected.totals["example.com"][2] == 0
    with pytest.raises(ConfigError, match="PROM_PASSWORD is not set") as caught:
        read_source(settings.volume[0], settings, {}, NOW, None)
    assert "hunter2" not in str(caught.value)
