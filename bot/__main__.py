"""python -m bot [run|migrate]"""

import argparse
import logging
import sys

from bot.config import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="HomeDemo Telegram bot")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "locales"],
                        help="run: start the bot (polling, or webhook if WEBHOOK_URL is set); "
                             "migrate: apply database migrations; locales: refresh and compile translations")
    args = parser.parse_args(argv)
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
        from bot.runner import run

        run(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
