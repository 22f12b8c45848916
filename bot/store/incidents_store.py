"""Queries on incidents, their events and the reputation history; called by bot/monitor/*.

Writes are guarded so that several writers (scheduler jobs, Slack buttons, other instances) never
overwrite each other: a new incident meets the one-open-per-domain unique index, an update is a
compare-and-set on the whole incident (`_claim`). Either conflict raises `Conflict`; `transact`
re-runs the work.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, RowMapping, and_, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.errors import StoreError
from bot.models import (
    UNSAVED_ID,
    BlacklistState,
    BlacklistStatus,
    Cause,
    CheckResult,
    Diagnosis,
    EventKind,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentState,
    IPCheck,
    Listing,
    ListingStatus,
    Posture,
    Verdict,
    ZoneResult,
)
from bot.store import event_codec
from bot.store.rates_queries import utc
from bot.store.schema import incident_events, incidents, reputation_checks, reputation_runs

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 3


class Conflict(Exception):
    """Another writer changed the incident (or opened one for the domain) since it was read."""


def transact(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work` in one transaction; on a `Conflict` roll back and run it again on fresh state."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except (Conflict, IntegrityError) as exc:
            log.info("incident write conflict (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
        except OperationalError as exc:
            # SQLite in WAL mode: a transaction that read before another writer committed cannot write.
            if "locked" not in str(exc):
                raise
            log.info("store busy (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
    raise StoreError(f"incidents kept changing under us; gave up after {ATTEMPTS} attempts")


# --------------------------------------------------------------------------- incidents


def latest_incidents(conn: Connection, domains: Sequence[str]) -> dict[str, Incident]:
    """The most recent incident of each domain, whatever its state."""
    newest = (select(func.max(incidents.c.id)).where(incidents.c.domain.in_(domains))
              .group_by(incidents.c.domain).scalar_subquery())
    query = select(incidents).where(incidents.c.id.in_(newest))
    return {row.domain: row for row in map(_incident, conn.execute(_locked(conn, query)).mappings())}


def unresolved(conn: Connection) -> list[Incident]:
    query = select(incidents).where(incidents.c.state != IncidentState.RESOLVED.value).order_by(incidents.c.id)
    return [_incident(row) for row in conn.execute(query).mappings()]


def get_incident(conn: Connection, incident_id: int) -> Incident | None:
    row = conn.execute(_locked(conn, select(incidents).where(incidents.c.id == incident_id))).mappings().first()
    return _incident(row) if row else None


def save(conn: Connection, before: Incident | None, after: Incident,
         events: Sequence[IncidentEvent]) -> tuple[Incident, list[IncidentEvent]]:
    """Store a state-machine step: insert a new incident or compare-and-set an old one, then its events."""
    values = _incident_values(after)
    if after.id == UNSAVED_ID:
        values.pop("id")
        try:
            after = dataclasses.replace(after, id=int(conn.execute(
                incidents.insert().values(**values).returning(incidents.c.id)).scalar_one()))
        except IntegrityError as exc:  # the transaction is spoilt: `transact` starts it again
            raise Conflict(f"{after.domain} already has an open incident") from exc
    elif before is None or before != after:
        _claim(conn, before or after)
        conn.execute(incidents.update().where(incidents.c.id == after.id)
                     .values(**values))
    stored = [dataclasses.replace(event, incident_id=after.id) for event in events]
    if stored:
        conn.execute(incident_events.insert(), [_event_values(event) for event in stored])
    return after, stored


def _claim(conn: Connection, read: Incident) -> None:
    """Lock the incident's row for this transaction and check it still holds what the writer read.

    Raising `version` is a write, so it takes the lock (SQLite: the database's write lock; PostgreSQL
    already holds the row since `get_incident`) and reads the row as it is now. Comparing the whole
    incident, not `updated_at`: two Resolve clicks in the same instant as the last change (a frozen
    clock) leave the same stamp behind, and both used to pass.
    """
    row = conn.execute(incidents.update().where(incidents.c.id == read.id)
                       .values(version=incidents.c.version + 1).returning(*incidents.c)).mappings().first()
    if row is None or _incident(row) != read:
        raise Conflict(f"incident {read.id} changed since it was read")


def events_of(conn: Connection, incident_id: int) -> list[IncidentEvent]:
    query = (select(incident_events).where(incident_events.c.incident_id == incident_id)
             .order_by(incident_events.c.id))
    return [IncidentEvent(incident_id=row.incident_id, at=utc(row.at), detail=row.detail or "", actor=row.actor,
                          data=event_codec.from_json(EventKind(row.kind), row.data, at=utc(row.at)))
            for row in conn.execute(query)]


def _locked(conn: Connection, query: Any) -> Any:
    # Several instances on PostgreSQL: hold the rows read until the transaction ends.
    return query if conn.dialect.name == "sqlite" else query.with_for_update()


def _incident_values(incident: Incident) -> dict[str, Any]:
    values: dict[str, Any] = {field.name: getattr(incident, field.name) for field in dataclasses.fields(incident)}
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = utc(value)
    values["state"] = incident.state.value
    values["cause"] = incident.cause.value
    values["kind"] = incident.kind.value
    values["blacklist"] = _blacklist_json(incident.blacklist)
    values["cited"] = [list(pair) for pair in incident.cited]
    values["listings"] = [listing.key for listing in incident.listings]
    values["top_reasons"] = [list(pair) for pair in incident.top_reasons]
    values["diagnosis"] = _diagnosis_json(incident.diagnosis)
    values["resolution"] = incident.resolution.value if incident.resolution else None
    values["resolution_note"] = incident.resolution_note or None
    values["volume"] = event_codec.volume_json(incident.volume)
    values["volume_note"] = incident.volume_note or None
    return values


def _incident(row: RowMapping) -> Incident:
    names = {field.name for field in dataclasses.fields(Incident)}
    values = {name: row[name] for name in names}
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = utc(value)
    values["state"] = IncidentState(row["state"])
    values["cause"] = Cause(row["cause"])
    values["kind"] = IncidentKind(row["kind"] or IncidentKind.FLOOD)
    values["blacklist"] = _blacklist(row["blacklist"])
    values["cited"] = tuple((str(zone), int(n)) for zone, n in row["cited"] or ())
    values["listings"] = tuple(Listing.from_key(str(key)) for key in row["listings"] or ())
    values["top_reasons"] = tuple((str(k), int(n)) for k, n in row["top_reasons"] or ())
    diagnosis = row["diagnosis"]
    values["diagnosis"] = Diagnosis(cause=Cause(diagnosis["cause"]), evidence=tuple(diagnosis["evidence"]),
                                    next_steps=tuple(diagnosis["next_steps"])) if diagnosis else None
    values["resolution"] = event_codec.outcome_of(row["resolution"])
    values["resolution_note"] = row["resolution_note"] or ""
    values["volume"] = event_codec.volume_of(row["volume"])
    values["volume_note"] = row["volume_note"] or ""
    return Incident(**values)


def _blacklist_json(status: BlacklistStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    return {"state": status.state.value, "why": status.why, "lists": status.lists,
            "checked_at": status.checked_at.isoformat() if status.checked_at else None}


def _blacklist(data: dict[str, Any] | None) -> BlacklistStatus | None:
    if not data:
        return None
    checked = data.get("checked_at")
    return BlacklistStatus(state=BlacklistState(data["state"]), why=str(data.get("why") or ""),
                           lists=int(data.get("lists") or 0),
                           checked_at=utc(datetime.fromisoformat(checked)) if checked else None)


def _diagnosis_json(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    if diagnosis is None:
        return None
    return {"cause": diagnosis.cause.value, "evidence": list(diagnosis.evidence),
            "next_steps": list(diagnosis.next_steps)}


def _event_values(event: IncidentEvent) -> dict[str, Any]:
    return {"incident_id": event.incident_id, "kind": event.kind.value, "at": utc(event.at),
            "actor": event.actor, "detail": event.detail, "data": event_codec.to_json(event.data)}


# --------------------------------------------------------------------------- reputation history


def save_check(conn: Connection, domain: str, check: CheckResult) -> int:
    """Store one reputation check of a monitored domain: a run row and one row per (target, zone)."""
    run_id = int(conn.execute(reputation_runs.insert().values(
        domain=domain, checked_at=utc(check.checked_at), verdict=check.verdict.value,
        posture=_posture_json(check.posture), broken_zones=list(check.broken_zones), notes=list(check.notes),
        problems=list(check.problems),
    ).returning(reputation_runs.c.id)).scalar_one())
    rows = [_check_row(run_id, domain, check.checked_at, ip.ip, "ip", " ".join(ip.sources), result)
            for ip in check.ips for result in ip.results]
    rows += [_check_row(run_id, domain, check.checked_at, check.target, "domain", "", result)
             for result in check.domain_results]
    if rows:
        conn.execute(reputation_checks.insert(), rows)
    return run_id


FAILED = "failed"  # the verdict of a run that could not check anything (no zone rows)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFailure:
    at: datetime
    reason: str


def save_failed_check(conn: Connection, domain: str, at: datetime, reason: str) -> None:
    """A check that could not run at all (the resolver unreachable): remembered, never a baseline to compare."""
    conn.execute(reputation_runs.insert().values(domain=domain, checked_at=utc(at), verdict=FAILED,
                                                 notes=[reason], problems=[reason]))


def latest_failures(conn: Connection, domains: Sequence[str]) -> dict[str, CheckFailure]:
    """Each domain's failed check, when it is newer than the domain's last check that ran."""
    newest = (select(reputation_runs.c.domain, func.max(reputation_runs.c.id).label("id"))
              .where(reputation_runs.c.domain.in_(domains)).group_by(reputation_runs.c.domain).subquery())
    rows = conn.execute(select(reputation_runs).join(newest, reputation_runs.c.id == newest.c.id)
                        .where(reputation_runs.c.verdict == FAILED)).mappings()
    return {row["domain"]: CheckFailure(at=utc(row["checked_at"]), reason=str((row["notes"] or ["failed"])[0]))
            for row in rows}


def latest_checks(conn: Connection, domains: Sequence[str]) -> dict[str, CheckResult]:
    """The most recent stored check of each domain that ran, rebuilt as the `CheckResult` it was."""
    newest = (select(func.max(reputation_runs.c.id))
              .where(reputation_runs.c.domain.in_(domains), reputation_runs.c.verdict != FAILED)
              .group_by(reputation_runs.c.domain).scalar_subquery())
    runs = list(conn.execute(select(reputation_runs).where(reputation_runs.c.id.in_(newest))).mappings())
    if not runs:
        return {}
    checks: dict[int, list[RowMapping]] = {run["id"]: [] for run in runs}
    query = (select(reputation_checks).where(reputation_checks.c.run_id.in_(list(checks)))
             .order_by(reputation_checks.c.id))
    for row in conn.execute(query).mappings():
        checks[row["run_id"]].append(row)
    return {run["domain"]: _check(run, checks[run["id"]]) for run in runs}


def listed_since(conn: Connection, domain: str, target: str, zone: str) -> datetime | None:
    """When the current listing of `target` on `zone` began: the first 'listed' after the last 'not listed'."""
    key = and_(reputation_checks.c.domain == domain, reputation_checks.c.target == target,
               reputation_checks.c.zone == zone)
    last_clean = conn.execute(select(func.max(reputation_checks.c.checked_at)).where(
        key, reputation_checks.c.status == ListingStatus.NOT_LISTED.value)).scalar()
    query = select(func.min(reputation_checks.c.checked_at)).where(
        key, reputation_checks.c.status == ListingStatus.LISTED.value)
    if last_clean is not None:
        query = query.where(reputation_checks.c.checked_at > last_clean)
    began = conn.execute(query).scalar()
    return utc(began) if began is not None else None


def _check_row(run_id: int, domain: str, checked_at: datetime, target: str, target_type: str, sources: str,
               result: ZoneResult) -> dict[str, Any]:
    return {"run_id": run_id, "domain": domain, "target": target, "target_type": target_type,
            "sources": sources, "zone": result.zone, "list_name": result.list, "status": result.status.value,
            "codes": " ".join(result.codes), "meaning": result.meaning, "txt": result.txt,
            "delist_url": result.delist_url, "informational": result.informational, "problem": result.problem or None,
            "checked_at": utc(checked_at)}


def _check(run: RowMapping, rows: list[RowMapping]) -> CheckResult:
    ips: dict[str, list[RowMapping]] = {}
    for row in rows:
        if row["target_type"] == "ip":
            ips.setdefault(row["target"], []).append(row)
    return CheckResult(
        target=run["domain"], target_type="domain", checked_at=utc(run["checked_at"]),
        ips=tuple(IPCheck(ip=ip, sources=tuple((found[0]["sources"] or "").split()),
                          results=tuple(map(_zone_result, found))) for ip, found in ips.items()),
        domain_results=tuple(_zone_result(row) for row in rows if row["target_type"] == "domain"),
        broken_zones=tuple(run["broken_zones"] or ()), posture=_posture(run["posture"]),
        verdict=Verdict(run["verdict"]), notes=tuple(run["notes"] or ()), problems=tuple(run["problems"] or ()))


def _zone_result(row: RowMapping) -> ZoneResult:
    return ZoneResult(zone=row["zone"], list=row["list_name"] or "", status=ListingStatus(row["status"]),
                      codes=tuple((row["codes"] or "").split()), meaning=row["meaning"] or "",
                      txt=row["txt"] or "", delist_url=row["delist_url"] or "",
                      informational=bool(row["informational"]), problem=row["problem"] or "")


def _posture_json(posture: Posture | None) -> dict[str, Any] | None:
    return dataclasses.asdict(posture) if posture else None


def _posture(data: dict[str, Any] | None) -> Posture | None:
    if not data:
        return None
    known = {field.name for field in dataclasses.fields(Posture)}
    values: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value
                              for name, value in data.items() if name in known}
    return Posture(**values)
