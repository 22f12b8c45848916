"""`bouncecheck config check [--config FILE]`: validate the config, print it as the bot will use it.

Every default filled in, the storage URL's password hidden, and for each `*_env` key whether its
variable is set (never its value). Then the start-up checks of `run`, `scan` and `check`
(bot/preflight.py): any problem is one line on stderr naming the key, and exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, TextIO

from bot import preflight
from bot.config import Settings, said
from bot.redact import redact

EXIT_OK, EXIT_USAGE = 0, 2


def run_config_check(settings: Settings, env: Mapping[str, str], *, out: TextIO, err: TextIO) -> int:
    effective = _durations_said(settings.model_dump(mode="python", exclude={"source_path"}))
    effective["storage"]["url"] = redact(settings.storage.url)
    variables = sorted(set(_env_names(effective)))
    effective["environment"] = {name: "set" if env.get(name) else "not set" for name in variables}
    print(json.dumps(effective, indent=2, ensure_ascii=False), file=out)
    problems = list(dict.fromkeys(problem for command in preflight.COMMANDS
                                  for problem in preflight.missing(settings, env, command)))
    for problem in problems:
        print(f"bouncecheck: {settings.source_path or 'config'}: {problem}", file=err)
    if not problems:
        print(f"bouncecheck: {settings.source_path or 'the built-in defaults'}: OK", file=err)
    return EXIT_USAGE if problems else EXIT_OK


def _durations_said(node: Any) -> Any:
    """The dump with durations as the config writes them ("2m", "1h"), and tuples as lists."""
    if isinstance(node, dict):
        return {k: _durations_said(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_durations_said(v) for v in node]
    if isinstance(node, timedelta):
        return said(node)
    return node


def _env_names(node: Any) -> list[str]:
    """The variables every `*_env` key of the config names."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k.endswith("_env") and isinstance(v, str) and v]
        return found + [name for v in node.values() for name in _env_names(v)]
    if isinstance(node, list):
        return [name for item in node for name in _env_names(item)]
    return []
