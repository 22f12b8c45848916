"""Weekly windows and digest slots in a named time zone, and the config keys that use them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import settings_from_mapping
from bot.errors import ConfigError
from bot.routing import route_for
from bot.schedules import (
    WeekTime,
    in_window,
    last_occurrence,
    parse_week_time,
    parse_weekly_window,
    window_end,
    zone,
)

BERLIN = zone("Europe/Berlin")


@pytest.mark.parametrize(("text", "day", "at"), [("mon 09:00", 0, "09:00"), ("Sunday 4:30", 6, "04:30"),
                                                 ("daily 08:30", None, "08:30")])
def test_week_times(text: str, day: int | None, at: str) -> None:
    parsed = parse_week_time(text)
    assert (parsed.day, f"{parsed.at:%H:%M}") == (day, at)


@pytest.mark.parametrize(("text", "says"), [("monday", "expected a day and a time"), ("mon 24:00", "no such time"),
                                            ("someday 09:00", "is not a day"), ("sat 22:00", "a start and an end"),
                                            ("daily 22:00-sun 02:00", "both ends daily"),
                                            ("sat 22:00-sat 22:00", "starts where it ends")])
def test_bad_times_say_what_fits(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_weekly_window(text) if "-" in text or text == "sat 22:00" else parse_week_time(text)


def test_a_slot_keeps_its_local_hour_across_daylight_saving() -> None:
    monday = WeekTime(day=0, at=parse_week_time("mon 09:00").at)
    # Berlin: CEST (UTC+2) until 2026-10-25, then CET (UTC+1)
    assert last_occurrence(monday, datetime(2026, 10, 20, 12, 0, tzinfo=UTC), BERLIN) == \
        datetime(2026, 10, 19, 7, 0, tzinfo=UTC)
    assert last_occurrence(monday, datetime(2026, 10, 27, 12, 0, tzinfo=UTC), BERLIN) == \
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_a_weekly_window_over_midnight() -> None:
    window = parse_weekly_window("sat 22:00-sun 04:00")  # Berlin, CET in December: 21:00-03:00 UTC
    saturday = datetime(2026, 12, 5, tzinfo=UTC)
    assert not in_window(window, saturday.replace(hour=20, minute=59), BERLIN)
    assert in_window(window, saturday.replace(hour=21, minute=0), BERLIN)
    assert window_end(window, saturday.replace(hour=23), BERLIN) == datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    assert not in_window(window, datetime(2026, 12, 6, 3, 0, tzinfo=UTC), BERLIN)


def test_routes_pick_the_most_specific_match() -> None:
    settings = settings_from_mapping({"slack": {"channel": "C0DEFAULT"}, "routes": [
        {"domains": ["*.example.com"], "channel": "C0WIDE"},
        {"domains": ["*.eu.example.com", "shop.example"], "channel": "C0EU", "mention": "S0EU"},
        {"domains": ["mail.eu.example.com"], "channel": "C0EXACT"},
    ]})
    assert route_for("a.example.com", settings).channel == "C0WIDE"
    assert route_for("x.eu.example.com", settings).channel == "C0EU"
    assert route_for("Mail.EU.example.com.", settings).channel == "C0EXACT"
    assert route_for("example.com", settings).channel == "C0DEFAULT", "*.example.com names subdomains only"
    assert route_for("shop.example", settings).mention == "S0EU"


@pytest.mark.parametrize(("data", "says"), [
    ({"routes": [{"domains": ["x!"], "channel": "C1"}]}, "[[routes]] #1 domains: 'x!' is not a domain"),
    ({"routes": [{"domains": ["a.example"], "channel": "C1", "mention": "@oncall"}]}, "user group ID"),
    ({"routes": [{"domains": [], "channel": "C1"}]}, "[[routes]] #1 domains"),
    ({"maintenance": [{"weekly": "sat 25:00-sun 01:00"}]}, "[[maintenance]] #1 weekly: 'sat 25:00': no such time"),
    ({"maintenance": [{}]}, "set either weekly, or start and end"),
    ({"maintenance": [{"start": datetime(2026, 1, 2), "end": datetime(2026, 1, 1)}]}, "end after start"),
    ({"digest": {"schedule": "someday"}}, "[digest] schedule: expected a day and a time"),
    ({"digest": {"timezone": "Mars/Base"}}, "[digest] timezone: unknown time zone 'Mars/Base'"),
])
def test_bad_oncall_config_names_the_key(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data)
    assert says in str(caught.value)
