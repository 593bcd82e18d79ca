"""python -m bot [run | sandbox | webhook | migrate | clock | health | locales [--apply LANG=FILE.json]
| catalog import FILE.csv]"""

import argparse
import sys
from datetime import datetime

from bot import logs
from bot.config import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="HomeDemo Telegram bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "run", help="start the bot with long polling (on a laptop); the default; without BOT_TOKEN, the sandbox"
    )
    sandbox = commands.add_parser(
        "sandbox", help="try it without Telegram: the bot and a page where you play every role, on one computer"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address of the page (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8080, help="port of the page (default 8080; 0: any free port)")
    sandbox.add_argument(
        "--public", action="store_true", help="allow a --host other than this computer (anyone reaching it plays)"
    )
    sandbox.add_argument("--empty", action="store_true", help="start from nothing instead of the sample world")
    sandbox.add_argument(
        "--now", type=_instant, default=None, help="start the clock at this ISO time, such as 2031-03-20T10:00+01:00"
    )
    commands.add_parser(
        "webhook", help="start the bot behind a webhook on $PORT, with /healthz (needs WEBHOOK_URL, WEBHOOK_SECRET)"
    )
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser(
        "clock", help="send reminders and digests from their own process (with DISPATCH_IN_BOT=false on the bot)"
    )
    commands.add_parser("health", help="check the database and the outbox lag; exit 0 if healthy, 1 if not")
    locales = commands.add_parser("locales", help="extract, merge and compile the translations")
    locales.add_argument(
        "--apply",
        action="append",
        default=[],
        metavar="LANG=FILE.json",
        help="write a translator's JSON file (a list of msgid/msgstr) into that language's catalog first",
    )
    catalog = commands.add_parser("catalog", help="manage the product catalog")
    catalog_commands = catalog.add_subparsers(dest="action", required=True)
    importing = catalog_commands.add_parser(
        "import", help="import or update products from a CSV file (sku,name,price,currency,active)"
    )
    importing.add_argument("file")
    return parser


def _locales(applies: list[str]) -> int:
    from pathlib import Path

    from bot.locales import refresh

    files = {}
    for item in applies:
        lang, _sep, path = item.partition("=")
        if not path:
            print(f"--apply wants LANG=FILE.json, not {item!r}", file=sys.stderr)
            return 2
        files[lang] = Path(path)
    problems = refresh(files)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its offset, such as 2031-03-20T10:00+01:00")
    return when


def _configure_logs(settings) -> None:
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s is not None]
    logs.configure(settings.log_format, secrets)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure()  # until the settings are read: no secrets known yet, the patterns still apply
    if args.command == "locales":
        return _locales(args.apply)
    try:
        settings = load_settings()
        _configure_logs(settings)
        return _run(args, settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings) -> int:
    if args.command == "migrate":
        from bot.migrate import upgrade

        upgrade(settings.database_url)
    elif args.command == "clock":
        from bot.clock_process import run as run_clock

        run_clock(settings)
    elif args.command == "health":
        from bot.health import run as check_health

        return check_health(settings)
    elif args.command == "catalog":
        from bot.catalog_cli import import_file

        return import_file(settings, args.file)
    elif args.command == "sandbox" or (args.command in (None, "run") and not settings.has_token()):
        from sandbox.runner import Options
        from sandbox.runner import run as run_sandbox

        if args.command != "sandbox":
            print(
                "BOT_TOKEN is not set: starting the sandbox instead (HomeDemo without Telegram, in your browser).",
                flush=True,
            )
        options = Options(
            **{k: getattr(args, k) for k in ("host", "port", "public", "empty") if hasattr(args, k)},
            start=getattr(args, "now", None),
        )
        run_sandbox(settings, options)
    else:
        from bot.runner import run

        run(settings, webhook=args.command == "webhook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
