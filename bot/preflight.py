"""What a command needs from the environment, checked before it starts: one line naming every missing key.

Also the local mailboxes' paths: a Maildir or mbox that is not there is a config mistake, not a scan error.

`run` and `scan` read the IMAP mailboxes (their password or token variables); `run` and `check`
query the blacklists (the Spamhaus DQS key, when one is configured). Found at start, a missing
variable is exit 2 naming the key, not a login that fails at the first scan while `run` keeps
running; `bouncecheck config check` makes the same checks for every command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.config import Settings, secret
from bot.errors import ConfigError

COMMANDS = ("run", "scan", "check")


def missing(settings: Settings, env: Mapping[str, str], command: str) -> list[str]:
    """One sentence per `*_env` key `command` will read whose variable is unset, and per local mailbox path
    that cannot be read."""
    needed: list[tuple[str, str]] = []  # (key, variable)
    problems = []
    if command in ("run", "scan"):
        for box in settings.mailboxes:
            if box.is_local:
                path = Path(box.path).expanduser()
                if not os.access(path, os.R_OK):
                    why = "does not exist" if not path.exists() else "is not readable"
                    problems.append(f"[[mailboxes]] {box.name!r} path: {box.path!r} {why}")
                continue
            key = f"[[mailboxes]] {box.name!r}"
            if box.auth == "password":
                needed.append((f"{key} password_env", box.password_env))
            elif not box.oauth2_token_command:
                needed.append((f"{key} oauth2_token_env", box.oauth2_token_env))
    if command in ("run", "check") and settings.dns.spamhaus_dqs_key_env:
        needed.append(("[dns] spamhaus_dqs_key_env", settings.dns.spamhaus_dqs_key_env))
    for key, variable in needed:
        try:
            secret(env, variable, key)  # the one wording of a missing secret, as at connect time
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def require(settings: Settings, env: Mapping[str, str], commands: Sequence[str]) -> None:
    """ConfigError (exit 2) with every missing variable of `commands`, in one line."""
    problems = list(dict.fromkeys(p for command in commands for p in missing(settings, env, command)))
    if problems:
        where = f"{settings.source_path}: " if settings.source_path else ""
        raise ConfigError(where + "; ".join(problems))
