"""Part 3 of bench/slack_delivery.py, the scenario table (its docstring says what each scenario does).

Each scenario fills one `Row`: the messages the outbox meant to post (expected), how many of them are in
the Slack stand-in (delivered), extra copies of one outbox key (duplicated), keys never posted (missing),
and the seconds to deliver everything, to resume after a restart or to take over from a killed instance.
Every post carries its outbox key in `metadata.event_payload.key`; the stand-in's live messages
(`SlackStandIn.messages`, top level and threads, including those it took while answering a failure)
are what is counted.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, func, select

from bot.config import settings_from_mapping
from bot.models import UNSAVED_ID, Cause, Grew, Incident, IncidentEvent, IncidentState, Opened
from bot.slack.app import web_client
from bot.slack.delivery import OutboxDelivery
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier
from bot.store import schema
from bot.store.database import open_engine
from bot.store.incidents_store import save, transact
from bot.store.leases import LEASE_TERM
from bot.store.outbox_store import dead_letters, delivery_facts, revive
from tests import mailgen
from tests.conftest import free_port
from tests.e2e.conftest import IMAP_PASSWORD_ENV, BotProcess, write_bot_config
from tests.e2e.helpers import BOT_TOKEN, DOMAIN, FLOOD, NotingDelay, deliver, scans_done
from tests.servers.dns import DNSServer, start_dns_server
from tests.servers.dovecot import Dovecot, running_dovecot
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import SECRET

T = TypeVar("T")

CHANNEL = "C0ALERTS"
POST = "chat.postMessage"
POSTS = ("post_card", "post_thread", "post_message")  # outbox actions that make a new message
LIMIT = 30.0  # seconds (issue 12): a row whose seconds reach this fails
PATIENCE = LIMIT + 15  # how long a measured step is waited for before it counts as stalled
ALERT = 6  # [monitor] alert_bounces of the real processes
BIG = 150  # bounces of ~40 kB each: a scan long enough to be caught in the middle (as tests/e2e do)
PG_HOST, PG_PORT, PG_DATABASE = "127.0.0.1", 5432, "test"


def now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- the table


@dataclass
class Row:
    scenario: str
    measured: str  # what `seconds` is the time of
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0  # extra copies: a key posted twice counts 1
    missing: int = 0
    seconds: float | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why it fails besides the counts and the seconds

    @property
    def passed(self) -> bool:
        return (not self.problems and not self.duplicated and not self.missing and self.seconds is not None
                and self.seconds < LIMIT)

    def verdict(self) -> list[str]:
        reasons = list(self.problems)
        if self.duplicated:
            reasons.append(f"{self.duplicated} duplicated")
        if self.missing:
            reasons.append(f"{self.missing} missing")
        if self.seconds is None:
            reasons.append("not measured")
        elif self.seconds >= LIMIT:
            reasons.append(f"took ≥ {LIMIT:g} s")
        return reasons


COLUMNS = ("scenario", "expected", "delivered", "duplicated", "missing", "seconds", "to", "result")


def print_table(rows: Sequence[Row]) -> None:
    cells = [[r.scenario, str(r.expected), str(r.delivered), str(r.duplicated), str(r.missing),
              "-" if r.seconds is None else f"{r.seconds:.1f}", r.measured, "ok" if r.passed else "FAIL"]
             for r in rows]
    widths = [max(len(c[i]) for c in [list(COLUMNS), *cells]) for i in range(len(COLUMNS))]
    numeric = range(1, 6)

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if i in numeric else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths,
                                                                                                  strict=True)))

    print(line(COLUMNS).rstrip())
    for values in cells:
        print(line(values).rstrip())
    print("notes:")
    for row in rows:
        notes = [*row.notes, *(f"FAIL: {reason}" for reason in row.verdict() if not row.passed)]
        print(f"  {row.scenario}: {'; '.join(notes) or '-'}")


def outbox_key(message: dict[str, Any]) -> str:
    metadata = message.get("metadata") or {}
    return str((metadata.get("event_payload") or {}).get("key") or "")


def posted_keys(slack: SlackStandIn) -> list[str]:
    """The outbox key of every live message in Slack, in the order Slack made them."""
    return [outbox_key(m) for channel in list(slack.messages.values()) for m in list(channel)]


def tally(row: Row, expected: Sequence[tuple[str, int | None]], slack: SlackStandIn) -> None:
    """Fill the counts from the outbox's posts `(key, incident)` (in queue order) and the stand-in's messages."""
    posted = [k for k in posted_keys(slack) if k]
    copies = Counter(posted)
    keys = [k for k, _ in expected]
    row.expected = len(keys)
    row.delivered = sum(1 for k in keys if copies[k])
    row.duplicated = sum(n - 1 for n in copies.values() if n > 1)
    row.missing = row.expected - row.delivered
    if unexpected := set(copies) - set(keys):
        row.problems.append(f"{len(unexpected)} posted keys the outbox never queued: {sorted(unexpected)[:3]}")
    disorder = 0
    for incident in {i for _, i in expected if i is not None}:
        wanted = [k for k, i in expected if i == incident and copies[k]]
        got = list(dict.fromkeys(k for k in posted if k in set(wanted)))
        disorder += got != wanted
    if disorder:
        row.problems.append(f"{disorder} incidents' messages out of order")


def expected_posts(engine: Engine) -> list[tuple[str, int | None]]:
    """What the outbox holds to post as new messages, in the order queued."""
    with engine.connect() as conn:
        return [(str(key), incident) for key, incident in conn.execute(
            select(schema.outbox.c.dedupe_key, schema.outbox.c.incident_id)
            .where(schema.outbox.c.action.in_(POSTS)).order_by(schema.outbox.c.id))]


def failed_answers(slack: SlackStandIn) -> Counter[int]:
    return Counter(c.status for c in slack.tried(POST) if not c.ok)


def lookups(slack: SlackStandIn) -> int:
    return len(slack.tried("conversations.history")) + len(slack.tried("conversations.replies"))


# --------------------------------------------------------------------------- the outbox, in process


def queue_incidents(db_url: str, incidents: int, followups: int) -> list[str]:
    """Incidents with their follow-ups queued in the outbox; returns the keys in the order queued."""
    engine = open_engine(db_url)
    clock = now
    notifier = SlackNotifier(engine, channel=CHANNEL, window=timedelta(hours=1), clock=clock, charts=False)
    for n in range(incidents):
        base = Incident(id=UNSAVED_ID, domain=f"d{n}.example", state=IncidentState.OPEN, cause=Cause.BAD_RECIPIENTS,
                        opened_at=clock(), updated_at=clock(), bounces_in_window=60, threshold=50, peak=60)
        incident = transact(engine, partial(_insert, base=base))
        notifier.notify(incident, [IncidentEvent(incident_id=incident.id, at=clock(),
                                                 data=Opened(count=60, threshold=50, cause=Cause.BAD_RECIPIENTS))])
        for step in range(followups):
            count = 60 + 40 * (step + 1)
            notifier.notify(incident, [IncidentEvent(incident_id=incident.id, at=clock(),
                                                     data=Grew(previous=count - 40, count=count))])
    keys = [key for key, _ in expected_posts(engine) if key.startswith("incident:")]
    engine.dispose()
    return keys


def _insert(conn: Connection, *, base: Incident) -> Incident:
    return save(conn, None, base, ())[0]


def gateway_for(slack: SlackStandIn) -> SlackGateway:
    settings = settings_from_mapping({"slack": {"api_url": slack.api_url}})
    return SlackGateway(web_client(settings.slack, "xoxb-bench", timeout=5, retries=1))


def drain(engine: Engine, sender: OutboxDelivery, timeout: float) -> bool:
    """Run the sender, as the scheduled job does, until all it may send is sent (a dead card's thread waits
    for `outbox retry`); False if that takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        sender.run(now())
        with engine.connect() as conn:
            facts = delivery_facts(conn)
        if facts.pending == facts.behind_dead:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


@contextlib.contextmanager
def queued_outbox(name: str, args: Any, work: Path) -> Iterator[tuple[SlackStandIn, Engine, OutboxDelivery]]:
    with SlackStandIn() as slack:
        db_url = f"sqlite:///{work / f'{name}.db'}"
        queue_incidents(db_url, args.incidents, args.followups)
        engine = open_engine(db_url)
        try:
            yield slack, engine, OutboxDelivery(engine, gateway_for(slack))
        finally:
            engine.dispose()


TROUBLE: dict[str, tuple[str, Callable[[SlackStandIn, Any], None]]] = {
    "429": ("answered 429 with Retry-After {retry_after} s",
            lambda s, a: s.fail(POST, 429, retry_after=a.retry_after, count=a.failures)),
    "500": ("answered 500 (not carried out)", lambda s, a: s.fail(POST, 500, count=a.failures)),
    "accept-500": ("carried out, then answered 500", lambda s, a: s.fail(POST, 500, count=a.failures, accepted=True)),
    "accept-drop": ("carried out, then the connection dropped",
                    lambda s, a: s.fail(POST, 500, count=a.failures, dropped=True)),
}


def transient(row: Row, args: Any, work: Path) -> None:
    """The next `--failures` posts fail the transient way `row.scenario` names; time until all is delivered."""
    what, arm = TROUBLE[row.scenario]
    with queued_outbox(row.scenario, args, work) as (slack, engine, sender):
        expected = expected_posts(engine)
        arm(slack, args)
        started = time.perf_counter()
        done = drain(engine, sender, PATIENCE)
        row.seconds = time.perf_counter() - started
        if not done:
            row.problems.append(f"outbox not empty after {PATIENCE:g} s")
        tally(row, expected, slack)
        failed = sum(failed_answers(slack).values())
        row.notes.append(f"{failed} posts {what.format(retry_after=args.retry_after)}; "
                         f"{lookups(slack)} already-posted lookups")
        if failed != args.failures:
            row.problems.append(f"{failed} failed answers, {args.failures} armed")


def refusal(row: Row, args: Any, work: Path) -> None:
    """The next `--failures` posts are refused for good (channel_not_found): dead letters, their threads held
    back; then `outbox retry` (revive) and one more delivery run; seconds from the retry to all delivered."""
    with queued_outbox(row.scenario, args, work) as (slack, engine, sender):
        expected = expected_posts(engine)
        slack.fail(POST, 200, error="channel_not_found", count=args.failures)
        if not drain(engine, sender, PATIENCE):
            row.problems.append(f"the deliverable rows were not sent within {PATIENCE:g} s")
        with engine.connect() as conn:
            dead = dead_letters(conn)
            facts = delivery_facts(conn)
        before = len({k for k in posted_keys(slack) if k})
        errors = sorted({d.error for d in dead})
        row.notes.append(f"before `outbox retry`: {len(dead)} dead letters ({', '.join(errors) or 'none'}), "
                         f"{facts.behind_dead} rows waiting behind them, {before} of {len(expected)} posted")
        if len(dead) != args.failures:
            row.problems.append(f"{len(dead)} dead letters, {args.failures} refusals armed")
        revived = revive(engine)
        started = time.perf_counter()
        done = drain(engine, sender, PATIENCE)
        row.seconds = time.perf_counter() - started
        with engine.connect() as conn:
            facts = delivery_facts(conn)
        if not done or facts.pending or facts.dead:
            row.problems.append(f"after the retry: {facts.pending} pending, {facts.dead} dead")
        row.notes.append(f"{revived} revived; after the retry {facts.dead} dead letters")
        tally(row, expected, slack)


# --------------------------------------------------------------------------- real processes


class Stalled(AssertionError):
    """A step the scenario needs did not happen in time."""


def poll(what: str, probe: Callable[[], T], timeout: float, *bots: BotProcess) -> T:
    """The first truthy value of `probe()`; raises Stalled after `timeout`, or at once if one of `bots` died."""
    deadline = time.monotonic() + timeout
    while True:
        if value := probe():
            return value
        for bot in bots:
            if not bot.running():
                raise Stalled(f"an instance died while waiting for {what} (log: {bot.log_path})")
        if time.monotonic() > deadline:
            raise Stalled(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)


def measure(row: Row, what: str, probe: Callable[[], object], since: float, *bots: BotProcess) -> None:
    """row.seconds: from `since` (time.monotonic) until `probe()` holds; a problem if not within PATIENCE."""
    try:
        poll(what, probe, PATIENCE - (time.monotonic() - since), *bots)
    except Stalled as exc:
        row.problems.append(str(exc))
    else:
        row.seconds = time.monotonic() - since


class Store:
    """Read-only looks at the bot's store (SQLite file or PostgreSQL schema)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def bounces(self) -> tuple[int, int]:
        """(bounces stored for DOMAIN, distinct recipients among them): every test recipient is unique."""
        b = schema.bounces
        with self.engine.connect() as conn:
            stored, distinct = conn.execute(select(func.count(), func.count(b.c.recipient.distinct()))
                                            .where(b.c.domain == DOMAIN)).one()
        return int(stored), int(distinct)

    def folder_owner(self) -> str | None:
        f = schema.folder_state
        with self.engine.connect() as conn:
            return conn.scalar(select(f.c.lease_owner).where(f.c.lease_owner.is_not(None)).limit(1))

    def post_owner(self) -> str | None:
        o = schema.outbox
        with self.engine.connect() as conn:
            return conn.scalar(select(o.c.lease_owner).where(o.c.lease_owner.is_not(None),
                                                              o.c.delivered_at.is_(None)).limit(1))

    def pending(self) -> int:
        o = schema.outbox
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(o).where(o.c.delivered_at.is_(None),
                                                                             o.c.dead_at.is_(None))) or 0)

    def dead(self) -> int:
        o = schema.outbox
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(o).where(o.c.delivered_at.is_(None),
                                                                             o.c.dead_at.is_not(None))) or 0)

    def posts(self) -> list[tuple[str, int | None]]:
        return expected_posts(self.engine)

    def close(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def servers() -> Iterator[tuple[Dovecot, DNSServer, SlackStandIn]]:
    """A fresh Dovecot (empty mailbox), the loopback DNS server and the Slack stand-in."""
    with running_dovecot() as dovecot, SlackStandIn() as slack:
        dns = start_dns_server()
        try:
            yield dovecot, dns, slack
        finally:
            dns.stop()


def bot_process(name: str, logs: Path, dovecot: Dovecot, dns: DNSServer, slack: SlackStandIn, db: Path | str,
                wrapper: Sequence[str] = ()) -> BotProcess:
    """`bouncecheck run` (HTTP mode) as tests/e2e/ run it: window 10 min, so nothing resolves meanwhile."""
    port = free_port()
    config = write_bot_config(logs / f"{name}.toml", dovecot=dovecot, nameserver=dns.nameserver, slack=slack,
                              db=db, port=port, domain=DOMAIN, window="10m", alert_bounces=ALERT)
    return BotProcess(config=config, url=f"http://127.0.0.1:{port}", log_path=logs / f"{name}.log", wrapper=wrapper,
                      env={IMAP_PASSWORD_ENV: dovecot.password, "SLACK_BOT_TOKEN": BOT_TOKEN,
                           "SLACK_SIGNING_SECRET": SECRET})


def deliver_big(dovecot: Dovecot, tag: str) -> None:
    for n in range(BIG):  # about 6 MB
        dovecot.deliver(mailgen.dsn(recipient=f"{tag}.{n}@remote.example.org", sender=f"news@{DOMAIN}",
                                    padding=40_000))


def in_thread(slack: SlackStandIn) -> bool:
    return any(c.body.get("thread_ts") for c in slack.of(POST))


def top_level(slack: SlackStandIn) -> int:
    return sum(1 for m in posted_messages(slack) if "thread_ts" not in m)


def posted_messages(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [m for channel in list(slack.messages.values()) for m in list(channel)]


def settle(row: Row, store: Store, slack: SlackStandIn, *bots: BotProcess, expected_bounces: int | None = None) -> None:
    """After the measured step: let the outbox empty, two more scans run, then count bounces and messages."""
    try:
        poll("the outbox to empty", lambda: store.pending() == 0, 20, *bots)
    except Stalled as exc:
        row.problems.append(f"{store.pending()} outbox rows still pending ({exc})")
    time.sleep(1.5)  # two more scans (every 1 s): nothing is read or counted twice
    if expected_bounces is not None:
        stored, distinct = store.bounces()
        twice = stored - distinct
        row.notes.append(f"bounces {distinct} of {expected_bounces} stored" + (f", {twice} twice" if twice else ""))
        if distinct != expected_bounces or twice:
            row.problems.append(f"{distinct} of {expected_bounces} bounces stored, {twice} twice")
    if dead := store.dead():
        row.problems.append(f"{dead} dead letters")
    for bot in bots:
        bot.stop(timeout=10)
    posts = store.posts()
    if not any(key.endswith(":card") for key, _ in posts):
        row.problems.append("no alert card was queued")
    tally(row, posts, slack)


def kill_scan(row: Row, args: Any, logs: Path) -> None:
    """SIGKILL while the bot reads a big batch of bounces (its folder lease held), restart; seconds from the
    restart (process start-up included) until every bounce is stored."""
    with servers() as (dovecot, dns, slack):
        db = logs / f"{row.scenario}.db"
        bot = bot_process(row.scenario, logs, dovecot, dns, slack, db)
        bot.start()
        store = Store(f"sqlite:///{db}")
        try:
            poll("a first scan", lambda: scans_done(bot)[1], 15, bot)
            expected = 0
            for attempt in range(3):
                deliver_big(dovecot, f"big{attempt}")
                expected += BIG
                poll("a scan in progress", store.folder_owner, 30, bot)
                bot.kill()
                stored, _ = store.bounces()
                if store.folder_owner() is not None and stored < expected:
                    break
                bot.start()  # caught between two scans: again
            else:
                raise Stalled("three kills in a row missed the scan")
            row.notes.append(f"killed mid-scan ({stored} of {expected} bounces stored; kill #{attempt + 1})")
            started = time.monotonic()
            bot.start()
            measure(row, f"all {expected} bounces after the restart", lambda: store.bounces()[1] >= expected,
                    started, bot)
            settle(row, store, slack, bot, expected_bounces=expected)
            row.notes.append(f"{lookups(slack)} already-posted lookups")
        finally:
            bot.stop(timeout=10)
            store.close()


def kill_post(row: Row, args: Any, logs: Path) -> None:
    """SIGKILL while the card post is in flight (Slack takes it, answers 1 s late, to no one), restart;
    seconds from the restart (start-up included) until the outbox is empty and the thread has begun."""
    with servers() as (dovecot, dns, slack):
        db = logs / f"{row.scenario}.db"
        bot = bot_process(row.scenario, logs, dovecot, dns, slack, db)
        slack.delay = delay = NotingDelay({POST: 1.0})
        bot.start()
        store = Store(f"sqlite:///{db}")
        try:
            deliver(dovecot, FLOOD, "flood")
            poll("the card post in flight", lambda: POST in delay.arrived, 15, bot)
            bot.kill()
            if store.post_owner() is None:
                row.problems.append("the kill missed the post (no outbox lease held)")
            slack.delay.clear()
            poll("Slack to take the card", lambda: top_level(slack), 5)
            row.notes.append("card post in flight at the kill; Slack had taken it")
            started = time.monotonic()
            bot.start()
            measure(row, "the outbox empty after the restart", lambda: store.pending() == 0 and in_thread(slack),
                    started, bot)
            settle(row, store, slack, bot, expected_bounces=FLOOD)
            row.notes.append(f"{lookups(slack)} already-posted lookups")
        finally:
            bot.stop(timeout=10)
            store.close()


# --------------------------------------------------------------------------- two instances


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A throw-away schema on the local PostgreSQL (as tests/servers/postgres.py makes them); its URL."""
    import psycopg

    admin: psycopg.Connection[Any] | None = None
    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            admin = psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DATABASE, user=user, autocommit=True,
                                    connect_timeout=3)
            break
        except psycopg.OperationalError as exc:
            last = exc
    if admin is None:
        raise RuntimeError(f"PostgreSQL at {PG_HOST}:{PG_PORT}/{PG_DATABASE} is unreachable: {last}")
    name = f"bc_bench_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield (f"postgresql+psycopg://{admin.info.user}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
               f"?options=-csearch_path%3D{name}")
    finally:
        admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


def unshare() -> list[str]:
    wrapper = ["unshare", "--pid", "--fork", "--kill-child"]
    if shutil.which("unshare") is None or subprocess.run([*wrapper, "true"], capture_output=True).returncode:
        raise RuntimeError("cannot make a pid namespace here (unshare --pid needs root or user namespaces)")
    return wrapper


class Pair:
    """Two instances on one PostgreSQL: `host` as any process, `other` in its own pid namespace (another
    machine: neither can tell whether the other's pid lives, only the lease heartbeat tells)."""

    def __init__(self, name: str, logs: Path, url: str, dovecot: Dovecot, dns: DNSServer,
                 slack: SlackStandIn) -> None:
        wrapper = unshare()
        self.bots = {side: bot_process(f"{name}-{side}", logs, dovecot, dns, slack, url,
                                       wrapper=wrapper if side == "other" else ())
                     for side in ("host", "other")}

    def start(self) -> None:
        for bot in self.bots.values():
            bot.start()

    def stop(self) -> None:
        for bot in self.bots.values():
            bot.stop(timeout=10)

    def holder(self, owner: str) -> BotProcess:
        pid = int(owner.split("/")[0].split(":")[1])
        host = self.bots["host"]
        return host if host.process is not None and host.process.pid == pid else self.bots["other"]

    def side(self, bot: BotProcess) -> str:
        return next(side for side, b in self.bots.items() if b is bot)

    def survivor(self, dead: BotProcess) -> BotProcess:
        return next(bot for bot in self.bots.values() if bot is not dead)


@contextlib.contextmanager
def two_instances(row: Row, logs: Path) -> Iterator[tuple[Pair, Store, Dovecot, SlackStandIn]]:
    with pg_schema() as url, servers() as (dovecot, dns, slack):
        pair = Pair(row.scenario, logs, url, dovecot, dns, slack)
        store = Store(url)
        try:
            pair.start()
            yield pair, store, dovecot, slack
        finally:
            pair.stop()
            store.close()


def takeover_post(row: Row, args: Any, logs: Path) -> None:
    """Two instances; the one whose card post is in flight (Slack answers 2 s late) is SIGKILLed; seconds
    from the kill until the survivor has the outbox empty (it must find the card, not post it again)."""
    with two_instances(row, logs) as (pair, store, dovecot, slack):
        slack.delay = delay = NotingDelay({POST: 2.0})
        deliver(dovecot, FLOOD, "flood")
        owner = poll("the card post in flight", lambda: POST in delay.arrived and store.post_owner(), 20,
                     *pair.bots.values())
        dead = pair.holder(str(owner))
        dead.kill()
        killed = time.monotonic()
        slack.delay.clear()
        survivor = pair.survivor(dead)
        row.notes.append(f"killed the {pair.side(dead)} instance mid-post (lease term "
                         f"{LEASE_TERM.total_seconds():g} s)")
        measure(row, "the survivor to deliver everything", lambda: store.pending() == 0 and in_thread(slack), killed,
                survivor)
        settle(row, store, slack, survivor, expected_bounces=FLOOD)
        row.notes.append(f"{lookups(slack)} already-posted lookups")


def takeover_scan(row: Row, args: Any, logs: Path) -> None:
    """Two instances; the one holding the folder lease in a long scan is SIGKILLed; seconds from the kill
    until the survivor has stored every bounce."""
    with two_instances(row, logs) as (pair, store, dovecot, slack):
        bots = list(pair.bots.values())
        expected = 0
        for attempt in range(3):
            deliver_big(dovecot, f"big{attempt}")
            expected += BIG
            owner = poll("a scan in progress", store.folder_owner, 30, *bots)
            dead = pair.holder(str(owner))
            dead.kill()
            killed = time.monotonic()
            stored, _ = store.bounces()
            if store.folder_owner() == owner and stored < expected:
                break
            dead.start()  # caught between two scans: again
        else:
            raise Stalled("three kills in a row missed the scan")
        survivor = pair.survivor(dead)
        row.notes.append(f"killed the {pair.side(dead)} instance mid-scan ({stored} of {expected} bounces stored; "
                         f"kill #{attempt + 1}; lease term {LEASE_TERM.total_seconds():g} s)")
        measure(row, f"all {expected} bounces by the survivor", lambda: store.bounces()[1] >= expected, killed,
                survivor)
        settle(row, store, slack, survivor, expected_bounces=expected)
        row.notes.append(f"{lookups(slack)} already-posted lookups")


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Row, Any, Path], None]
    measured: str
    processes: bool  # needs Dovecot and `bouncecheck run` processes


SCENARIOS: dict[str, Scenario] = {
    "429": Scenario(transient, "deliver all", False),
    "500": Scenario(transient, "deliver all", False),
    "accept-500": Scenario(transient, "deliver all", False),
    "accept-drop": Scenario(transient, "deliver all", False),
    "refusal": Scenario(refusal, "resume after retry", False),
    "kill-scan": Scenario(kill_scan, "resume", True),
    "kill-post": Scenario(kill_post, "resume", True),
    "takeover-post": Scenario(takeover_post, "take over", True),
    "takeover-scan": Scenario(takeover_scan, "take over", True),
}


def run_scenario(name: str, args: Any, work: Path) -> Row:
    """One scenario's row; an error in it is a problem of the row, not the end of the bench."""
    scenario = SCENARIOS[name]
    row = Row(name, scenario.measured)
    try:
        scenario.run(row, args, work)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # also pytest's skip/fail outcomes from the test servers' helpers
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        row.problems.append(f"error: {type(exc).__name__}: {first}"[:300])
    return row
