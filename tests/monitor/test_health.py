"""/healthz's judgement from the store: what is degraded, each said once, in DESIGN.md's JSON shape."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.monitor.health import assess
from bot.store import incidents_store
from bot.store.health_queries import health_facts
from bot.store.ingest import record_error
from bot.store.schema import outbox
from tests.monitor.conftest import DOMAIN, T0, minutes


def health_at(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return assess(health_facts(conn, [DOMAIN], T0)).as_json()


def test_all_well_is_ok(engine: Engine) -> None:
    assert health_at(engine) == {"status": "ok", "problems": []}


def test_a_failing_mailbox_a_failed_check_and_a_dead_letter_are_each_named(engine: Engine) -> None:
    record_error(engine, "postmaster", "INBOX", "LOGIN failed", T0 - minutes(10))
    with engine.begin() as conn:
        incidents_store.save_failed_check(conn, DOMAIN, T0 - minutes(5), "no blacklist could be checked: timeout")
        conn.execute(outbox.insert().values(dedupe_key="k1", action="post_card", channel="C1", payload={},
                                            created_at=T0 - minutes(3), next_attempt_at=T0, attempts=1,
                                            last_error="permanent: channel_not_found", dead_at=T0 - minutes(3)))
        conn.execute(outbox.insert().values(dedupe_key="k2", action="post_card", channel="C1", payload={},
                                            created_at=T0 - minutes(3), next_attempt_at=T0, attempts=1,
                                            last_error="transient: fatal_error (HTTP 500)"))  # retried: not yet news
    assert health_at(engine) == {"status": "degraded", "problems": [
        {"what": "mailbox", "detail": "postmaster INBOX: last scan failed (failing since 2026-03-02 08:50 UTC): "
                                      "LOGIN failed"},
        {"what": "blacklist_check", "detail": "example.com: the check at 2026-03-02 08:55 UTC could not run: "
                                              "no blacklist could be checked: timeout"},
        {"what": "slack", "detail": "1 message(s) Slack refused are kept as dead letters (the first: permanent: "
                                    "channel_not_found); fix the cause, then `bouncecheck outbox retry`"},
    ]}


def test_a_check_that_runs_again_clears_the_problem(engine: Engine) -> None:
    from tests.monitor.fakes import FakeChecker

    with engine.begin() as conn:
        incidents_store.save_failed_check(conn, DOMAIN, T0 - minutes(5), "timeout")
        incidents_store.save_check(conn, DOMAIN, FakeChecker(at=T0 - minutes(1))(DOMAIN, None))  # type: ignore[arg-type]
    assert health_at(engine)["status"] == "ok"


def test_a_refused_token_and_a_long_wait_are_named(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(dedupe_key="k1", action="post_card", channel="C1", payload={},
                                            created_at=T0 - minutes(30), next_attempt_at=T0, attempts=2,
                                            last_error="transient: fatal_error (HTTP 500)"))
    assert health_at(engine)["problems"] == [{"what": "slack", "detail": (
        "1 message(s) not yet delivered, the oldest queued 2026-03-02 08:30 UTC: Slack is not taking them")}]
    with engine.begin() as conn:
        conn.execute(outbox.update().values(last_error="token: token_revoked (not sent)"))
    assert health_at(engine)["problems"] == [{"what": "slack", "detail": (
        "Slack refuses the bot token (token_revoked): posting stopped, 1 message(s) wait; set a valid token and "
        "restart")}]
