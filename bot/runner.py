"""Runs the bot in the foreground: long polling by default, a webhook when WEBHOOK_URL is set."""

from __future__ import annotations

from telegram import Update

from bot.app import build_application
from bot.config import Settings


def run(settings: Settings) -> None:
    settings.token()  # stop early, with instructions, when there is no token
    application = build_application(settings)
    if settings.webhook_url:
        application.run_webhook(
            listen="0.0.0.0",
            port=settings.port,
            url_path="telegram",
            webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
