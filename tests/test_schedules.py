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
    next_occurrence,
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


@pytest.mark.parametrize(("text", "now", "last"), [
    # Spring forward, Sun 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not
    # exist that day and is read as 01:30 UTC (03:30 CEST).
    ("sun 02:30", datetime(2026, 3, 29, 1, 10, tzinfo=UTC), datetime(2026, 3, 22, 1, 30, tzinfo=UTC)),
    ("daily 02:30", datetime(2026, 3, 29, 1, 10, tzinfo=UTC), datetime(2026, 3, 28, 1, 30, tzinfo=UTC)),
    ("daily 02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    # Fall back, Sun 25 October 2026: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:30 comes twice,
    # the first time (00:30 UTC) counts. At 02:10 CET (01:10 UTC) it has passed.
    ("daily 02:30", datetime(2026, 10, 25, 0, 20, tzinfo=UTC), datetime(2026, 10, 24, 0, 30, tzinfo=UTC)),
    ("daily 02:30", datetime(2026, 10, 25, 1, 10, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("sun 02:30", datetime(2026, 10, 25, 1, 40, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
], ids=["spring-weekly-in-the-gap", "spring-daily-in-the-gap", "spring-at-the-slot", "fall-before",
        "fall-second-hour", "fall-weekly-second-hour"])
def test_a_slot_in_a_daylight_saving_change_is_never_in_the_future(text: str, now: datetime,
                                                                  last: datetime) -> None:
    when = parse_week_time(text)
    assert last_occurrence(when, now, BERLIN) == last
    assert last_occurrence(when, now, BERLIN) <= now
    following = next_occurrence(when, last, BERLIN)
    assert following > now and following > last


def test_next_occurrence_in_the_spring_gap() -> None:
    when = parse_week_time("daily 02:30")
    assert next_occurrence(when, datetime(2026, 3, 29, 0, 0, tzinfo=UTC), BERLIN) == \
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert next_occurrence(when, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN) == \
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC)


def test_a_window_in_the_fall_back_hour_is_over_once_its_end_has_passed() -> None:
    window = parse_weekly_window("daily 02:15-daily 02:45")  # 00:15-00:45 UTC on 25 October (CEST)
    inside, second_run = datetime(2026, 10, 25, 0, 20, tzinfo=UTC), datetime(2026, 10, 25, 1, 20, tzinfo=UTC)
    assert in_window(window, inside, BERLIN)
    assert window_end(window, inside, BERLIN) == datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    assert not in_window(window, second_run, BERLIN), "02:20 CET: the window's end (00:45 UTC) has passed"


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
