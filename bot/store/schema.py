"""SQLAlchemy Core tables: the whole persistent state of the bot, one definition for SQLite and PostgreSQL.

Owned by section: scan state and bounces (ingestion), reputation history (reputation watch),
incidents and their events (monitor), outbox (Slack delivery), leases (scale-out).
Times are stored as timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite needs INTEGER for autoincrement rowids
UTC = DateTime(timezone=True)

# --------------------------------------------------------------------------- ingestion

folder_state = Table(
    "folder_state",
    metadata,
    Column("mailbox", String(200), primary_key=True),
    Column("folder", String(500), primary_key=True),
    Column("uidvalidity", BigInteger, nullable=True),
    Column("last_uid", BigInteger, nullable=False, server_default="0"),
    Column("last_scan_at", UTC, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", UTC, nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UTC, nullable=True),
)

# One row per message ever read: the seen-marker that keeps scans exact across UIDVALIDITY resets.
messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mailbox", String(200), nullable=False),
    Column("folder", String(500), nullable=False),
    Column("uidvalidity", BigInteger, nullable=True),
    Column("uid", BigInteger, nullable=True),
    Column("message_id", String(998), nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("received_at", UTC, nullable=False),  # the bounce's Date, else INTERNALDATE, else scan time
    Column("scanned_at", UTC, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("mta", String(50), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("truncated", Boolean, nullable=False, server_default=text("false")),
    Column("error", Text, nullable=True),  # unparsable: why
    UniqueConstraint("mailbox", "content_hash", name="uq_messages_mailbox_hash"),
)
Index("ix_messages_scanned_at", messages.c.scanned_at)

# One row per failed recipient of a bounce.
bounces = Table(
    "bounces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_row", Id, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("domain", String(255), nullable=True),  # our sending domain it counts for (None: not ours)
    Column("occurred_at", UTC, nullable=False),
    Column("recipient", String(512), nullable=False),
    Column("recipient_domain", String(255), nullable=True),
    Column("action", String(10), nullable=False),
    Column("status", String(12), nullable=True),
    Column("reply_code", String(3), nullable=True),
    Column("reason", String(30), nullable=False),
    Column("hard", Boolean, nullable=False),
    Column("diagnostic", Text, nullable=True),
    Column("remote_mta", String(255), nullable=True),
    Column("reporting_mta", String(255), nullable=True),
    Column("sender", String(512), nullable=True),  # the bounced original's From address
    Column("ours", Boolean, nullable=True),  # True ours, False forged, None unknown
    Column("origin_basis", String(20), nullable=True),  # what that rests on (models.OriginBasis)
    Column("first_hop_ip", String(45), nullable=True),
    Column("cited_blocklists", String(1000), nullable=True),  # space-separated zone names
)
Index("ix_bounces_domain_time", bounces.c.domain, bounces.c.occurred_at)
Index("ix_bounces_time", bounces.c.occurred_at)

# Failed and delayed recipients per domain and UTC hour, kept with the bounces (bot/store/buckets.py):
# what the baseline reads, so an evaluation's cost does not grow with the history stored.
bounce_buckets = Table(
    "bounce_buckets",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("bucket_start", UTC, primary_key=True),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("delayed", Integer, nullable=False, server_default="0"),
)

# The typical count of a domain's window over its baseline, as computed at a full hour: the first
# evaluation of an hour computes it from the buckets, every later one (any process) reads it.
baseline_cache = Table(
    "baseline_cache",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("anchor", UTC, primary_key=True),  # the full hour the baseline's windows end at
    Column("window_seconds", Integer, primary_key=True),
    Column("windows", Integer, primary_key=True),
    Column("typical", Float, nullable=False),
)

# What a local source (bot/mail/local_source.py) has handed to the scanner, so that a scan reads only
# what is new (bot/store/local_index.py): a Maildir message by its unique name, a Maildir's "new/" and
# "cur/" by the state they were listed in, an mbox or .eml file by identity, size, mtime and offset.
local_index = Table(
    "local_index",
    metadata,
    Column("mailbox", String(200), primary_key=True),
    Column("folder", String(500), primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("uid", BigInteger, nullable=False),  # trusted once the folder's cursor (last_uid) has reached it
    Column("identity", String(50), nullable=True),  # "st_dev:st_ino" of a file or directory
    Column("size", BigInteger, nullable=True),
    Column("mtime_ns", BigInteger, nullable=True),
    Column("read_to", BigInteger, nullable=True),  # the byte offset a file was read up to
    Column("fingerprint", String(64), nullable=True),  # hash of a file's first and last KB before read_to
)

# --------------------------------------------------------------------------- reputation watch

# One row per check of a monitored domain (blacklist watch, recheck): verdict and SPF/DMARC posture.
reputation_runs = Table(
    "reputation_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False),
    Column("checked_at", UTC, nullable=False),
    Column("verdict", String(12), nullable=False),
    Column("posture", JSON, nullable=True),
    Column("broken_zones", JSON, nullable=True),
    Column("notes", JSON, nullable=True),
    Column("problems", JSON, nullable=True),  # why the verdict is unknown (CheckResult.problems)
)
Index("ix_reputation_runs_domain_time", reputation_runs.c.domain, reputation_runs.c.checked_at)

# One row per (target, zone) of a run: the history that shows when a listing began.
reputation_checks = Table(
    "reputation_checks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("reputation_runs.id", ondelete="CASCADE"), nullable=True),
    Column("domain", String(255), nullable=False),  # the monitored domain the check was for
    Column("target", String(255), nullable=False),  # the IP or domain looked up
    Column("target_type", String(6), nullable=False, server_default="ip"),  # "ip" | "domain"
    Column("sources", String(100), nullable=True),  # where the IP came from: "config spf mx"
    Column("zone", String(255), nullable=False),
    Column("list_name", String(100), nullable=True),
    Column("status", String(12), nullable=False),
    Column("codes", String(255), nullable=True),
    Column("meaning", Text, nullable=True),
    Column("txt", Text, nullable=True),
    Column("delist_url", String(500), nullable=True),
    Column("informational", Boolean, nullable=False, server_default=text("false")),
    Column("problem", Text, nullable=True),  # why this result is unknown (ZoneResult.problem)
    Column("checked_at", UTC, nullable=False),
)
Index("ix_reputation_domain_time", reputation_checks.c.domain, reputation_checks.c.checked_at)
Index("ix_reputation_checks_run", reputation_checks.c.run_id)

# What our mail leaves through, learned per monitored domain: from DNS (SPF, MX, A, PTR) by the
# reputation watch, and from bounces of our own mail by the scanner. Config entries are not stored.
known_servers = Table(
    "known_servers",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("kind", String(20), primary_key=True),  # models.ServerKind
    Column("value", String(255), primary_key=True),
    Column("source", String(10), primary_key=True),  # models.ServerSource
    Column("learned_at", UTC, nullable=False),
)

# --------------------------------------------------------------------------- incidents

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False),
    Column("state", String(20), nullable=False),
    Column("cause", String(30), nullable=False),
    Column("opened_at", UTC, nullable=False),
    Column("updated_at", UTC, nullable=False),
    Column("resolved_at", UTC, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    Column("bounces_in_window", Integer, nullable=False, server_default="0"),
    Column("threshold", Integer, nullable=False, server_default="0"),
    Column("peak", Integer, nullable=False, server_default="0"),
    Column("last_posted_count", Integer, nullable=False, server_default="0"),
    Column("last_posted_at", UTC, nullable=True),
    Column("below_since", UTC, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("acknowledged_at", UTC, nullable=True),
    Column("snoozed_until", UTC, nullable=True),
    Column("listings", JSON, nullable=True),
    Column("diagnosis", JSON, nullable=True),
    Column("top_reasons", JSON, nullable=True),
    Column("kind", String(10), nullable=False, server_default="flood"),  # models.IncidentKind
    Column("blacklist", JSON, nullable=True),  # models.BlacklistStatus as of the last evaluation
    Column("cited", JSON, nullable=True),  # [[zone, bounces citing it], ...] in the window
    # What the person who resolved it said: models.ResolutionOutcome and their note
    Column("resolution", String(20), nullable=True),
    Column("resolution_note", Text, nullable=True),
    Column("volume", JSON, nullable=True),  # models.SentVolume as of the last evaluation
    Column("volume_note", Text, nullable=True),  # why a domain with a volume source was judged by count
    # Raised by every state write (incidents_store.save): the write takes the row's lock with it.
    Column("version", Integer, nullable=False, server_default="0"),
)
# The one-open-incident-per-domain rule, enforced by the database for several instances.
Index(
    "uq_incidents_one_open_per_domain",
    incidents.c.domain,
    unique=True,
    sqlite_where=text("state != 'resolved'"),
    postgresql_where=text("state != 'resolved'"),
)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", UTC, nullable=False),
    Column("actor", String(100), nullable=True),
    Column("detail", Text, nullable=True),
    Column("data", JSON, nullable=True),
)
Index("ix_incident_events_incident", incident_events.c.incident_id)

# --------------------------------------------------------------------------- Slack outbox

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(20), nullable=False),  # post_card / update_card / post_thread / upload
    Column("channel", String(50), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTC, nullable=False),
    Column("delivered_at", UTC, nullable=True),
    Column("ts", String(50), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UTC, nullable=True),
    # A dead letter: Slack refused it for good (bot/slack/gateway.py); kept until `outbox retry`.
    Column("dead_at", UTC, nullable=True),
)
Index("ix_outbox_pending", outbox.c.delivered_at, outbox.c.next_attempt_at)

# Where a message the bot made lives in Slack: an incident's card (role "card") and what else it keeps.
slack_messages = Table(
    "slack_messages",
    metadata,
    Column("incident_id", Id, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("channel", String(50), nullable=False),
    Column("ts", String(50), nullable=False),
    Column("posted_at", UTC, nullable=False),
    Column("permalink", String(500)),  # the workspace's own link (chat.getPermalink), once known
)
Index("ix_slack_messages_where", slack_messages.c.channel, slack_messages.c.ts)

# A domain made quiet for a while by `/bouncecheck silence`: counted, not posted.
silences = Table(
    "silences",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False),
    Column("starts_at", UTC, nullable=False),
    Column("ends_at", UTC, nullable=False),
    Column("set_by", String(100), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("lifted_at", UTC, nullable=True),  # `/bouncecheck unsilence`
    Column("lifted_by", String(100), nullable=True),
)
Index("ix_silences_domain", silences.c.domain, silences.c.ends_at)

# Mail we sent, from the [[volume]] sources: messages per domain and minute (logs, a Sent folder) ...
sent_counts = Table(
    "sent_counts",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("domain", String(255), primary_key=True),
    Column("minute", UTC, primary_key=True),
    Column("count", Integer, nullable=False),
)
Index("ix_sent_counts_domain", sent_counts.c.domain, sent_counts.c.minute)

# ... and per sender and hour (a compromised account is a jump in one sender's volume)
sent_senders = Table(
    "sent_senders",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("sender", String(320), primary_key=True),
    Column("hour", UTC, primary_key=True),
    Column("domain", String(255), nullable=False),
    Column("count", Integer, nullable=False),
)
Index("ix_sent_senders_domain", sent_senders.c.domain, sent_senders.c.hour)
Index("ix_sent_senders_source_hour", sent_senders.c.source, sent_senders.c.hour)  # how far history goes

# ... or the last count over a span a source answered with (a Prometheus query)
sent_totals = Table(
    "sent_totals",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("domain", String(255), primary_key=True),
    Column("at", UTC, nullable=False),
    Column("span_seconds", Integer, nullable=False),
    Column("count", Integer, nullable=False),
)

# Each source's read position (log file cursors, a folder's last UID) and health
volume_sources = Table(
    "volume_sources",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("cursor", JSON, nullable=True),
    Column("last_ok_at", UTC, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", UTC, nullable=True),
    Column("notes", JSON, nullable=True),  # what the last read said (a truncated file noticed)
    Column("counting_since", UTC, nullable=True),  # its counts are whole from then (a log read from its end)
    Column("reads", Integer, nullable=False, server_default="0"),  # reads saved: two collectors claim it
)

# --------------------------------------------------------------------------- bookkeeping

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UTC, nullable=False),
)
