"""python -m bot [run | migrate | clock | locales | catalog import FILE.csv]"""

import argparse
import logging
import sys

from bot.config import SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="HomeDemo Telegram bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start the bot (long polling, or a webhook if WEBHOOK_URL is set); the default")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("clock", help="send reminders and digests from their own process (with DISPATCH_IN_BOT=false on the bot)")
    commands.add_parser("locales", help="extract, merge and compile the translations")
    catalog = commands.add_parser("catalog", help="manage the product catalog")
    catalog_commands = catalog.add_subparsers(dest="action", required=True)
    importing = catalog_commands.add_parser("import", help="import or update products from a CSV file (sku,name,price,currency,active)")
    importing.add_argument("file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request, token included
    if args.command == "locales":
        from bot.locales import refresh

        refresh()
        return 0
    try:
        settings = load_settings()
        if args.command == "migrate":
            from bot.migrate import upgrade

            upgrade(settings.database_url)
            return 0
        if args.command == "clock":
            from bot.clock_process import run as run_clock

            run_clock(settings)
            return 0
        if args.command == "catalog":
            from bot.catalog_cli import import_file

            return import_file(settings, args.file)
        from bot.runner import run

        run(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
