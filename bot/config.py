"""TOML config → validated, typed settings; secrets are read from the environment here only.

Called by the CLI entry point once; everything below receives a `Settings` (or a part of it).
A bad value raises `ConfigError` with a message naming the key, e.g. "[monitor] window: ...".
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import idna
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot import schedules
from bot.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: object) -> timedelta:
    """'45s', '2m', '1h', '90d', or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '45s', '2m', '1h' or '90d'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as '45s', '2m', '1h' or '90d', got {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} is longer than {MAX_DURATION.days // 365} years")
    return timedelta(seconds=seconds)


def _at_least(floor: timedelta, why: str) -> Callable[[timedelta], timedelta]:
    def check(value: timedelta) -> timedelta:
        if value < floor:
            raise ValueError(f"at least {said(floor)} ({why}), got {said(value)}")
        return value

    return check


def _at_most(ceiling: timedelta, why: str) -> Callable[[timedelta], timedelta]:
    def check(value: timedelta) -> timedelta:
        if value > ceiling:
            raise ValueError(f"at most {said(ceiling)} ({why}), got {said(value)}")
        return value

    return check


def said(value: timedelta) -> str:
    """A duration as the config writes it: 2m, 1h, 90d (exact), else seconds."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


MAX_DURATION = timedelta(days=3650)  # beyond this a duration is a typo, and timedelta itself overflows later
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
# A job's period: a smaller one floods the log and the store (4,328 log lines in 8 s at "1ms").
Interval = Annotated[timedelta, BeforeValidator(parse_duration),
                     AfterValidator(_at_least(timedelta(seconds=1), "a job cannot usefully run more often"))]
# How far back a count looks: the store keeps bounces for `retention`, a window past a year is a typo.
Window = Annotated[timedelta, BeforeValidator(parse_duration),
                   AfterValidator(_at_most(timedelta(days=366), "a window past a year is surely a typo"))]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# What a secret pasted where its variable's name belongs looks like: Slack tokens, long hex keys.
_SECRET_LIKE = re.compile(r"^(?:xox[a-z]?-|xapp-|xoxe\.)|^[0-9a-f]{24,}$", re.IGNORECASE)


def env_name(value: object) -> str:
    """A `*_env` key: the name of an environment variable, never the secret itself.

    The error never repeats the value: a secret pasted here must not reach a log or a terminal.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return ""
    if _SECRET_LIKE.search(text):
        raise ValueError("holds what looks like a secret; put the secret in an environment variable and "
                         "name that variable here")
    if not _ENV_NAME.match(text):
        raise ValueError("is not an environment variable name (letters, digits and _, not starting with a digit)")
    return text


EnvName = Annotated[str, BeforeValidator(env_name)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    url: str = "sqlite:///bouncecheck.db"

    @field_validator("url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return url


class MailboxSettings(_Section):
    name: str
    # IMAP source
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["tls", "starttls", "plain"] = "tls"
    ca_file: str = ""
    username: str = ""
    password_env: EnvName = ""
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_env: EnvName = ""
    oauth2_token_command: str = ""
    folders: tuple[str, ...] = ("INBOX",)
    timeout: Duration = timedelta(seconds=30)
    batch_size: int = Field(default=200, ge=1, le=5000)
    backfill: Duration = timedelta(days=7)
    idle: bool = False
    archive_folder: str = ""
    # local source: a Maildir folder or an mbox file instead of IMAP
    path: str = ""
    # both
    max_message_bytes: int = Field(default=10 * 1024 * 1024, ge=4096)

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, path: str) -> str:
        if path and not os.access(Path(path).expanduser(), os.R_OK):
            why = "does not exist" if not Path(path).expanduser().exists() else "is not readable"
            raise ValueError(f"{path!r} {why}")
        return path

    @field_validator("folders")
    @classmethod
    def _some_folder(cls, folders: tuple[str, ...]) -> tuple[str, ...]:
        if not folders or any(not f.strip() for f in folders):
            raise ValueError("list at least one non-empty folder name")
        return folders

    @property
    def is_local(self) -> bool:
        return bool(self.path)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class ScheduleSettings(_Section):
    scan_interval: Interval = timedelta(minutes=2)
    recheck_interval: Interval = timedelta(minutes=15)
    reputation_interval: Interval = timedelta(hours=1)
    retention: Duration = timedelta(days=90)
    deliver_interval: Interval = timedelta(seconds=5)
    oncall_interval: Interval = timedelta(minutes=1)  # reminders, cards after a quiet, digests: to the minute


class MonitorSettings(_Section):
    domains: tuple[str, ...] = ()
    sending_ips: tuple[str, ...] = ()
    sending_hosts: tuple[str, ...] = ()
    dkim_domains: tuple[str, ...] = ()
    window: Window = timedelta(hours=1)
    alert_bounces: int = Field(default=50, ge=1)
    resolve_after: Window = timedelta(hours=2)
    baseline_days: int = Field(default=7, ge=0, le=60)
    baseline_factor: float = Field(default=3.0, ge=1.0)
    grew_factor: float = Field(default=1.5, gt=1.0)
    followup_floor: Duration = timedelta(minutes=15)
    # Where a domain has a healthy [[volume]] source: an incident opens when our own bounces reach
    # this share of the mail we sent in the window, and at least min_sent were sent; the count above
    # stays for domains without a source (and when theirs fails)
    alert_rate: Share = 0.05
    min_sent: int = Field(default=100, ge=1)

    @field_validator("domains", "sending_hosts", "dkim_domains")
    @classmethod
    def _lower(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(ascii_domain(n) for n in names if n.strip())

    @field_validator("sending_ips")
    @classmethod
    def _ips(cls, ips: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for ip in ips:
            try:
                out.append(str(ipaddress.ip_network(ip.strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{ip!r} is not an IP address or network") from None
        return tuple(o.removesuffix("/32").removesuffix("/128") for o in out)


class ZoneOverride(_Section):
    """A user-defined zone, or a change to a built-in one (matched by `zone`)."""

    zone: str
    name: str = ""
    type: Literal["ip", "domain"] = "ip"
    enabled: bool = True
    informational: bool = False
    delist_url: str = ""
    codes: dict[str, str] = Field(default_factory=dict)  # "127.0.0.2" → meaning


class DNSSettings(_Section):
    nameservers: tuple[str, ...] = ()
    timeout: Duration = timedelta(seconds=2)
    spamhaus_dqs_key_env: EnvName = ""
    zones: tuple[ZoneOverride, ...] = ()
    disable_zones: tuple[str, ...] = ()
    queries_per_second_per_zone: float = Field(default=20.0, gt=0)
    concurrent_checks: int = Field(default=10, ge=1, le=50)  # domains the blacklist watch checks at once

    @field_validator("nameservers")
    @classmethod
    def _host_port(cls, servers: tuple[str, ...]) -> tuple[str, ...]:
        for server in servers:
            host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
            try:
                ipaddress.ip_address(host or server)
            except ValueError:
                raise ValueError(f"{server!r}: expected an IP address, optionally with :port") from None
            if port and not (port.isdigit() and 0 < int(port) < 65536):
                raise ValueError(f"{server!r}: bad port") from None
        return servers


class SlackSettings(_Section):
    mode: Literal["socket", "http"] = "socket"
    channel: str = ""
    ops_channel: str = ""  # the bot's own trouble (a job failing); "": the alert channel
    api_url: str = "https://slack.com/api/"
    bot_token_env: EnvName = "SLACK_BOT_TOKEN"
    app_token_env: EnvName = "SLACK_APP_TOKEN"
    signing_secret_env: EnvName = "SLACK_SIGNING_SECRET"
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=3000, ge=1, le=65535)
    allowed_channels: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    commands_per_minute: int = Field(default=6, ge=1)

    @field_validator("api_url")
    @classmethod
    def _slash(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("expected an http(s) URL")
        return url if url.endswith("/") else url + "/"


class LoggingSettings(_Section):
    format: Literal["text", "json"] = "text"  # json: one object per line, for a log shipper
    level: Literal["debug", "info", "warning", "error"] = "info"


class MetricsSettings(_Section):
    port: int = Field(default=0, ge=0, le=65535)  # Socket Mode and `scan`: a /metrics listener; 0 is off
    host: str = "127.0.0.1"


def _zone_name(name: str) -> str:
    schedules.zone(name)
    return name.strip() or "UTC"


TimeZoneName = Annotated[str, AfterValidator(_zone_name)]
# "example.com", "*.example.com" (its subdomains), or "*" (every domain); "*foo" could match nothing
_DOMAIN_PATTERN = re.compile(r"^(?:\*|(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63})$")


def ascii_domain(name: str) -> str:
    """A domain as mail headers and /bouncecheck carry it: lower case, punycode ("bücher.example" →
    "xn--bcher-kva.example"), so a silence, a route and a bounce name one domain the same way."""
    name = name.strip().lower().rstrip(".")
    if name.isascii():
        return name
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError(f"{name!r} is not a domain name") from None


def _domain_patterns(names: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for name in names:
        wild, rest = ("*.", name.strip()[2:]) if name.strip().startswith("*.") else ("", name)
        pattern = wild + ascii_domain(rest) if rest.strip().strip("*.") else name.strip()
        if not _DOMAIN_PATTERN.match(pattern):
            raise ValueError(f"{name!r} is not a domain or a pattern such as '*.example.com'")
        out.append(pattern)
    return tuple(out)


DomainPatterns = Annotated[tuple[str, ...], AfterValidator(_domain_patterns)]
_USER_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")


class RouteSettings(_Section):
    """Where a domain's alerts go: its card, thread, reminders and digest (`[[routes]]`)."""

    domains: DomainPatterns = Field(min_length=1)  # exact, or "*.example.com" for its subdomains
    channel: str = Field(min_length=1)
    mention: str = ""  # a user group ID (S0123…) the reminders mention
    escalate_after: Duration | None = None  # unacknowledged this long: a reminder in the thread; None: off
    # then one every this long until someone acts; shorter would ping the group at every on-call run
    repeat_after: Annotated[timedelta, BeforeValidator(parse_duration),
                            AfterValidator(_at_least(timedelta(minutes=5), "each reminder pings a group"))] = \
        timedelta(hours=1)

    @field_validator("mention")
    @classmethod
    def _group(cls, value: str) -> str:
        value = value.strip()
        if value and not _USER_GROUP.match(value):
            raise ValueError("expected a user group ID such as 'S0123ABCD' (Slack → the group → Copy group ID)")
        return value


class MaintenanceSettings(_Section):
    """A planned quiet time for some domains (`[[maintenance]]`): counted, not posted."""

    domains: DomainPatterns = ("*",)
    weekly: str = ""  # "sat 22:00-sun 04:00", every week
    start: datetime | None = None  # or once, from start to end (local times in `timezone`)
    end: datetime | None = None
    timezone: TimeZoneName = "UTC"
    reason: str = ""

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: str) -> str:
        if value.strip():
            schedules.parse_weekly_window(value)
        return value.strip()

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceSettings:
        if bool(self.weekly) == (self.start is not None or self.end is not None):
            raise ValueError("set either weekly, or start and end")
        if not self.weekly and (self.start is None or self.end is None):
            raise ValueError("start and end both, end after start")
        if self.start is not None and self.end is not None:
            if (self.start.tzinfo is None) != (self.end.tzinfo is None):
                raise ValueError("start and end: both with a UTC offset, or both without (then in timezone)")
            if self.end <= self.start:
                raise ValueError("start and end both, end after start")
        return self


class DigestSettings(_Section):
    schedule: str = ""  # "mon 09:00", "daily 08:30"; "": no digest
    timezone: TimeZoneName = "UTC"

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if value.strip():
            schedules.parse_week_time(value)
        return value.strip()


class VolumeSettings(_Section):
    """Where the count of mail we sent comes from (`[[volume]]`), so a bounce rate is a share."""

    name: str = Field(min_length=1)
    kind: Literal["postfix_log", "exim_log", "prometheus", "imap_sent"]
    paths: tuple[str, ...] = ()  # logs: the live files (mail.log); rotated ones (mail.log.1, .2.gz) are followed
    url: str = ""  # prometheus: the server's base URL
    query: str = ""  # prometheus: PromQL giving the messages sent; {domain} and {window} are filled in
    mailbox: str = ""  # imap_sent: the name of a [[mailboxes]] entry whose login reads the folder
    folder: str = "Sent"
    domains: DomainPatterns = ("*",)  # whose mail it counts (logs count by the sender's domain)
    stale_after: Duration = timedelta(minutes=15)  # no successful read this long: unhealthy
    timezone: TimeZoneName | Literal[""] = ""  # logs: the zone of stamps without an offset; "": this machine's
    username: str = ""  # prometheus: basic auth, the password from password_env (never in url)
    password_env: EnvName = ""

    @model_validator(mode="after")
    def _what_it_needs(self) -> VolumeSettings:
        if self.kind in ("postfix_log", "exim_log") and not self.paths:
            raise ValueError(f"{self.kind} needs paths (the log files)")
        if self.kind == "prometheus" and not (self.url.startswith(("http://", "https://")) and self.query):
            raise ValueError("prometheus needs url (http(s)://…) and query")
        if "@" in self.url.partition("://")[2].partition("/")[0]:
            raise ValueError("url holds a user or password: set username and password_env instead")
        if self.kind == "imap_sent" and not self.mailbox:
            raise ValueError("imap_sent needs mailbox (a [[mailboxes]] name)")
        return self


def _percent(value: object) -> float | None:
    """'5%', '0.5 %', 5 → 0.05; '' or None → None (no rate threshold)."""
    if value is None or value == "":
        return None
    text = str(value).strip().removesuffix("%").strip()
    try:
        share = float(text) / 100
    except ValueError:
        raise ValueError(f"expected a share such as '5%', got {value!r}") from None
    if not 0 < share <= 1:
        raise ValueError(f"a share between 0 and 100 %, got {value!r}")
    return share


Share = Annotated[float | None, BeforeValidator(_percent)]


class Settings(_Section):
    storage: StorageSettings = StorageSettings()
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    mailboxes: tuple[MailboxSettings, ...] = ()
    schedule: ScheduleSettings = ScheduleSettings()
    monitor: MonitorSettings = MonitorSettings()
    dns: DNSSettings = DNSSettings()
    slack: SlackSettings = SlackSettings()
    routes: tuple[RouteSettings, ...] = ()
    maintenance: tuple[MaintenanceSettings, ...] = ()
    digest: DigestSettings = DigestSettings()
    volume: tuple[VolumeSettings, ...] = ()
    source_path: str = ""  # the file these came from, for messages

    @field_validator("mailboxes")
    @classmethod
    def _unique_names(cls, boxes: tuple[MailboxSettings, ...]) -> tuple[MailboxSettings, ...]:
        names = [b.name for b in boxes]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"mailbox names must be unique: {', '.join(dupes)}")
        for box in boxes:
            if not box.path and not box.host:
                raise ValueError(f"mailbox {box.name!r}: set host (IMAP) or path (Maildir/mbox)")
            if box.security == "plain" and box.host and not _is_loopback(box.host):
                raise ValueError(f"mailbox {box.name!r}: security = 'plain' is allowed to loopback only")
        return boxes

    @model_validator(mode="after")
    def _volume_mailboxes(self) -> Settings:
        boxes = {box.name: box for box in self.mailboxes}
        names = [v.name for v in self.volume]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"volume source names must be unique: {', '.join(dupes)}")
        for source in self.volume:
            if source.kind == "imap_sent" and not boxes.get(source.mailbox, MailboxSettings(name="", path="-")).host:
                raise ValueError(f"volume source {source.name!r}: mailbox {source.mailbox!r} is not an IMAP "
                                 "[[mailboxes]] entry")
            if source.stale_after < 2 * self.schedule.scan_interval:
                # read once per scan: a shorter stale_after makes the surfaces call it silent between scans
                raise ValueError(f"volume source {source.name!r}: stale_after ({said(source.stale_after)}) must be "
                                 f"at least twice [schedule] scan_interval ({said(self.schedule.scan_interval)})")
        return self


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key_path(loc: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    """('monitor', 'window') → '[monitor] window'; ('mailboxes', 0, 'port') → '[[mailboxes]] #1 port'."""
    if not loc:
        return "config"
    head, rest = str(loc[0]), list(loc[1:])
    if head == "mailboxes" and rest and isinstance(rest[0], int):
        index = int(rest.pop(0))
        boxes = data.get("mailboxes") or []
        name = boxes[index].get("name") if index < len(boxes) and isinstance(boxes[index], dict) else None
        prefix = f"[[mailboxes]] {name!r}" if name else f"[[mailboxes]] #{index + 1}"
    elif head in ("routes", "maintenance", "volume") and rest and isinstance(rest[0], int):
        prefix = f"[[{head}]] #{int(rest.pop(0)) + 1}"
    elif rest:
        prefix = f"[{head}]"
    else:
        return head
    return " ".join([prefix, *(str(p) for p in rest)]) if rest else prefix


def settings_from_mapping(data: Mapping[str, Any], source: str = "config") -> Settings:
    try:
        return Settings.model_validate({**data, "source_path": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        raise ConfigError(f"{source}: {_key_path(tuple(first['loc']), data)}: {message}") from None


def load_settings(path: Path) -> Settings:
    """Read and validate a TOML file; every failure is a ConfigError naming the file and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, str(path))


def resolve_config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """--config, then $BOUNCECHECK_CONFIG, then ./config.toml."""
    return Path(explicit or environ.get("BOUNCECHECK_CONFIG") or "config.toml")


def secret(environ: Mapping[str, str], env_name: str, key: str) -> str:
    """The value of the environment variable a `*_env` key names; ConfigError if unset."""
    if not env_name:
        raise ConfigError(f"{key} is empty: name the environment variable that holds the secret")
    value = environ.get(env_name, "")
    if not value:
        raise ConfigError(f"{key}: environment variable {env_name} is not set")
    return value


def environ() -> Mapping[str, str]:
    """The process environment; the one place secrets are read from."""
    return os.environ
