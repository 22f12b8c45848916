"""Config contract: every documented key loads, bad values name their key, secrets come from env."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_settings, parse_duration, resolve_config_path, secret, settings_from_mapping
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_loads_with_documented_defaults() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.mailboxes[0].name == "postmaster"
    assert settings.mailboxes[0].effective_port == 993
    assert settings.schedule.scan_interval == timedelta(minutes=2)
    assert settings.monitor.alert_bounces == 50
    assert settings.slack.api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("2m", 120), ("1h", 3600), ("90d", 90 * 86400), (30, 30), ("1.5h", 5400), ("250ms", 0.25)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ({"monitor": {"window": "soon"}}, "[monitor] window"),
        ({"monitor": {"alert_bounces": 0}}, "[monitor] alert_bounces"),
        ({"monitor": {"sending_ips": ["192.0.2.300"]}}, "[monitor] sending_ips"),
        ({"monitor": {"windw": "1h"}}, "[monitor] windw: unknown key"),
        ({"mailboxes": [{"name": "pm", "host": "imap.example.com", "port": "x"}]}, "[[mailboxes]] 'pm' port"),
        ({"mailboxes": [{"name": "pm"}]}, "set host (IMAP) or path"),
        ({"mailboxes": [{"name": "pm", "host": "imap.example.com", "security": "plain"}]}, "loopback only"),
        ({"dns": {"nameservers": ["resolver.example"]}}, "[dns] nameservers"),
        ({"slack": {"mode": "webhook"}}, "[slack] mode"),
        ({"storage": {"url": "mysql://x"}}, "[storage] url"),
    ],
)
def test_bad_values_name_their_key(data: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        settings_from_mapping(data, "config.toml")
    assert names in str(caught.value)
    assert str(caught.value).startswith("config.toml: ")


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[monitor\nwindow = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)


def test_config_path_precedence() -> None:
    assert resolve_config_path("a.toml", {"BOUNCECHECK_CONFIG": "b.toml"}) == Path("a.toml")
    assert resolve_config_path(None, {"BOUNCECHECK_CONFIG": "b.toml"}) == Path("b.toml")
    assert resolve_config_path(None, {}) == Path("config.toml")


def test_secrets_only_from_environment() -> None:
    assert secret({"TOKEN": "xoxb-1"}, "TOKEN", "[slack] bot_token_env") == "xoxb-1"
    with pytest.raises(ConfigError, match="TOKEN is not set"):
        secret({}, "TOKEN", "[slack] bot_token_env")


@pytest.mark.parametrize(("key", "value"), [
    (("slack", "bot_token_env"), "xoxb-1234-5678-abcdefabcdef"),
    (("slack", "app_token_env"), "xapp-1-A0-123-abc"),
    (("slack", "signing_secret_env"), "8f14e45fceea167a5a36dedd4bea2543"),
    (("dns", "spamhaus_dqs_key_env"), "abcdef0123456789abcdef01"),
    (("slack", "bot_token_env"), "SLACK BOT TOKEN"),
    (("slack", "bot_token_env"), "1TOKEN"),
], ids=["bot-token", "app-token", "signing-secret", "dqs-key", "spaces", "leading-digit"])
def test_a_secret_pasted_where_its_variable_belongs_is_refused_without_repeating_it(
    key: tuple[str, str], value: str
) -> None:
    section, name = key
    with pytest.raises(ConfigError) as refused:
        settings_from_mapping({section: {name: value}}, "config.toml")
    message = str(refused.value)
    assert message.startswith(f"config.toml: [{section}] {name}: ")
    assert value not in message and value[:8] not in message


def test_a_mailbox_password_pasted_into_password_env_is_refused() -> None:
    box = {"name": "pm", "host": "imap.example.com", "username": "pm", "password_env": "xoxp-oops"}
    with pytest.raises(ConfigError, match=r"\[\[mailboxes\]\] 'pm' password_env: holds what looks like a secret"):
        settings_from_mapping({"mailboxes": [box]}, "config.toml")


@pytest.mark.parametrize(("data", "says"), [
    ({"maintenance": [{"start": "2026-11-27T12:00:00+01:00", "end": "2026-11-27T14:00:00"}]},
     "[[maintenance]] #1: start and end: both with a UTC offset, or both without"),
    ({"routes": [{"domains": ["*foo"], "channel": "C1"}]}, "'*foo' is not a domain or a pattern"),
    ({"routes": [{"domains": ["a.example"], "channel": "C1", "repeat_after": "1s"}]},
     "[[routes]] #1 repeat_after: at least 5m (each reminder pings a group)"),
    ({"volume": [{"name": "p", "kind": "prometheus", "url": "https://bot:S3cret@prom:9090", "query": "x"}]},
     "url holds a user or password: set username and password_env instead"),
    ({"schedule": {"scan_interval": "10m"}, "volume": [{"name": "mx", "kind": "exim_log", "paths": ["/x"]}]},
     "stale_after (15m) must be at least twice [schedule] scan_interval (10m)"),
])
def test_oncall_and_volume_keys_refuse_what_would_mislead(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data)
    assert says in str(caught.value)
    assert "S3cret" not in str(caught.value)


def test_a_maintenance_window_for_every_domain_may_say_so() -> None:
    settings = settings_from_mapping({"maintenance": [{"domains": ["*"], "weekly": "sat 22:00-sun 04:00"}]})
    assert settings.maintenance[0].domains == ("*",)


def test_an_international_domain_is_one_name_everywhere() -> None:
    from bot.reputation.check import parse_target

    settings = settings_from_mapping({"monitor": {"domains": ["Bücher.Example"]},
                                      "routes": [{"domains": ["*.bücher.example"], "channel": "C1"}]})
    assert settings.monitor.domains == (parse_target("bücher.example").value,) == ("xn--bcher-kva.example",)
    assert settings.routes[0].domains == ("*.xn--bcher-kva.example",)
