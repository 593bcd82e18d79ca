"""The composition root: builds the application from settings. Importing it starts nothing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.boundary import BoundaryProcessor, report_error
from bot.clock import Clock
from bot.config import Settings
from bot.context import Context
from bot.db import Database
from bot.dispatcher import Dispatcher
from bot.logs import label_handlers
from bot.persistence import DatabasePersistence
from bot.ratelimit import rate_limiter
from bot.telegram_http import telegram_request, updates_request
from views import dates
from views.i18n import SUPPORTED_LOCALES, use_locale
from views.menus import BASIC_COMMANDS, bot_commands

# The update types our handlers use, asked of Telegram by both polling and the webhook: the
# rest (polls, reactions, inline queries...) would only cost requests and log lines.
# my_chat_member tells us when someone blocks the bot (or unblocks it).
# pre_checkout_query: Telegram Payments asks whether an order may still be paid (handlers.shop).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.PRE_CHECKOUT_QUERY,
]


async def _set_default_commands(application: Application) -> None:
    """The menu everybody sees, per language; advisors get theirs per chat once onboarded."""
    settings: Settings = application.bot_data["settings"]
    for lang in SUPPORTED_LOCALES:
        with use_locale(lang):
            await application.bot.set_my_commands(bot_commands(BASIC_COMMANDS), language_code=lang)
    with use_locale(settings.default_locale):
        await application.bot.set_my_commands(bot_commands(BASIC_COMMANDS))


async def _dispatch(context: Context) -> None:
    await context.application.bot_data["dispatcher"].tick()


async def _start_dispatcher(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    if settings.dispatch_in_bot:
        # Each tick plans this week's digests and sends what is due; both are idempotent, so a
        # late or skipped tick loses nothing (the outbox, not the scheduler, holds what is due).
        application.job_queue.run_repeating(
            _dispatch,
            interval=settings.dispatch_interval_seconds,
            first=1,
            name="dispatcher",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


async def _post_init(application: Application) -> None:
    dates.warm_up()  # dateparser's language data, loaded before the first update rather than during it
    await _set_default_commands(application)
    await _start_dispatcher(application)


async def _close_database(application: Application) -> None:
    await application.bot_data["dispatcher"].drain()
    await application.bot_data["db"].dispose()


def build_application(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    update_processor: BoundaryProcessor | None = None,
    webhook: bool = False,
) -> Application:
    """The bot, ready to run. With `webhook`, it has no Updater: bot.webhook's server puts the
    updates on its queue (PTB's custom webhook pattern)."""
    db = db or Database(settings.database_url)
    clock = clock or Clock()
    processor = update_processor or BoundaryProcessor(settings.max_concurrent_updates)
    api = settings.telegram_api_url
    builder = ApplicationBuilder()
    if webhook:
        builder = builder.updater(None)
    application = (
        builder.token(settings.token())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(context=Context))
        .persistence(DatabasePersistence(db, clock))
        .concurrent_updates(processor)
        .rate_limiter(rate_limiter(settings))
        .request(telegram_request())
        .get_updates_request(updates_request())
        .post_init(_post_init)
        .post_shutdown(_close_database)
        .build()
    )
    processor.application = application
    application.bot_data.update(
        db=db,
        settings=settings,
        clock=clock,
        dispatcher=Dispatcher(db=db, bot=application.bot, clock=clock, settings=settings),
    )
    handlers.register(application)
    label_handlers(application)  # so that each update's log line names the handler that took it
    application.add_error_handler(report_error)
    return application
