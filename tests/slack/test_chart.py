"""The bounce chart is a PNG, drawn without a display, also when there is nothing to draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack.chart import bounce_chart

PNG = b"\x89PNG\r\n\x1a\n"


def test_chart_is_a_png() -> None:
    start = datetime(2026, 11, 27, 6, tzinfo=UTC)
    points = [(start + timedelta(minutes=5 * n), n % 60) for n in range(96)]
    png = bounce_chart(points, domain="example.com", threshold=50)
    assert png.startswith(PNG) and len(png) > 5000


def test_empty_chart() -> None:
    assert bounce_chart([], domain="example.com", threshold=50).startswith(PNG)
