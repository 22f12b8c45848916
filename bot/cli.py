"""Entry point: argparse subcommands, config loading, exit codes; the work lives in the pipeline.

Exit status: 0 success, 2 bad usage or bad config (one line on stderr), 1 failure at run time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import __version__, logs, preflight
from bot.config import Settings, environ, load_settings, resolve_config_path
from bot.errors import BounceCheckError, ConfigError, UsageError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bouncecheck", description="Bounce-flood monitor and Slack bot for postmasters.")
    parser.add_argument("--version", action="version", version=f"bouncecheck {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    parse = commands.add_parser("parse", help="parse .eml files, mbox files or Maildir folders")
    parse.add_argument("--json", action="store_true", help="one JSON object per message")
    parse.add_argument("--config", help="use [monitor] settings to tell our mail from spoofed mail")
    parse.add_argument("paths", nargs="+", metavar="PATH")

    check = commands.add_parser("check", help="blacklist status and SPF/DMARC posture of a domain or IP")
    check.add_argument("--json", action="store_true")
    check.add_argument("--config")
    check.add_argument("target", metavar="TARGET")

    scan = commands.add_parser("scan", help="scan the configured mailboxes and evaluate incidents; no Slack")
    scan.add_argument("--config")
    scan.add_argument("--once", action="store_true", help="one pass, then exit (default: keep scanning)")
    scan.add_argument("--json", action="store_true")

    run = commands.add_parser("run", help="the bot: scheduler plus Slack")
    run.add_argument("--config")

    outbox = commands.add_parser("outbox", help="messages Slack refused for good (dead letters); re-send them")
    outbox.add_argument("action", nargs="?", choices=("list", "retry", "discard"), default="list")
    outbox.add_argument("ids", nargs="*", type=int, metavar="ID", help="dead letters to act on (default: all)")
    outbox.add_argument("--config")
    outbox.add_argument("--json", action="store_true")

    config = commands.add_parser("config", help="validate the config and print it as the bot will use it")
    config.add_argument("action", choices=("check",))
    config.add_argument("--config", dest="config_file")

    demo = commands.add_parser("demo", help="the whole pipeline on a bundled sample mailbox; no credentials")
    demo.add_argument("--offline", action="store_true", help="make no DNS queries (the check says unknown)")
    demo.add_argument("--dns-server", action="append", default=[], metavar="IP[:PORT]",
                      help="resolver for the blacklist check (default: the system resolver)")
    demo.add_argument("--output-dir", default="demo-output", help="where the Block Kit JSON goes")
    return parser


def _settings(args: argparse.Namespace, explicit: str | None, *, required: bool) -> Settings:
    """The config, and logging set up as it says (`run` logs at its level; the terminal commands print
    their answer on stdout and log only what went wrong, unless -v)."""
    path = resolve_config_path(explicit, environ())
    settings = Settings() if not required and not explicit and not path.exists() else load_settings(path)
    logs.setup(settings.logging, verbose=args.verbose, floor=None if args.command == "run" else "warning")
    return settings


def _defaults(args: argparse.Namespace) -> Settings:
    settings = Settings()
    logs.setup(settings.logging, verbose=args.verbose, floor="warning")
    return settings


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local so `bouncecheck parse` does not pay for Slack, DNS or the scheduler.
    if args.command == "parse":
        from bot.parse_command import run_parse

        settings = _settings(args, args.config, required=False) if args.config else _defaults(args)
        return run_parse(args.paths, as_json=args.json, settings=settings, out=sys.stdout)
    if args.command == "check":
        settings = _settings(args, args.config, required=False)
        preflight.require(settings, environ(), ["check"])
        from bot.reputation.command import run_check

        return run_check(args.target, as_json=args.json, settings=settings, out=sys.stdout)
    if args.command == "scan":
        settings = _settings(args, args.config, required=True)
        preflight.require(settings, environ(), ["scan"])
        from bot.scan import run_scan

        return run_scan(settings, once=args.once, as_json=args.json, out=sys.stdout)
    if args.command == "run":
        settings = _settings(args, args.config, required=True)
        preflight.require(settings, environ(), ["run"])
        from bot.runner import run_bot

        return run_bot(settings)
    if args.command == "outbox":
        settings = _settings(args, args.config, required=True)
        from bot.outbox_command import run_outbox

        return run_outbox(settings, args.action, args.ids, as_json=args.json, out=sys.stdout)
    if args.command == "config":
        settings = _settings(args, args.config_file, required=False)
        from bot.config_command import run_config_check

        return run_config_check(settings, environ(), out=sys.stdout, err=sys.stderr)
    if args.command == "demo":
        from pathlib import Path

        _defaults(args)
        from bot.demo import run_demo

        return run_demo(out=sys.stdout, offline=args.offline, nameservers=args.dns_server,
                        output_dir=Path(args.output_dir))
    raise UsageError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except (ConfigError, UsageError) as exc:
        print(f"bouncecheck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BounceCheckError as exc:
        print(f"bouncecheck: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `bouncecheck parse ... | head`: the reader left; say nothing more.
        sys.stderr.close()
        return EXIT_OK
