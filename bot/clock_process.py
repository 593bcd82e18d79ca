"""`python -m bot clock`: the dispatcher and the weekly planning, without the chat side.

Run it as its own process (the Procfile's `clock`) and set DISPATCH_IN_BOT=false on the
worker; running both is safe too, as claims keep any row from being sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.ext import ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.dispatcher import Dispatcher
from bot.ratelimit import rate_limiter
from bot.telegram_http import telegram_request

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> ExtBot:
    api = settings.telegram_api_url
    limiter = rate_limiter(settings)
    return ExtBot(
        settings.token(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        rate_limiter=limiter,
        request=telegram_request(),
    )


async def run_clock(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    db = Database(settings.database_url)
    bot = make_bot(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    async with bot:
        dispatcher = Dispatcher(db=db, bot=bot, clock=Clock(), settings=settings)
        scheduler = AsyncIOScheduler(timezone="UTC")
        # No misfire grace limit: a tick that ran late still runs; coalescing keeps it to one.
        scheduler.add_job(
            dispatcher.tick,
            "interval",
            seconds=settings.dispatch_interval_seconds,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            id="dispatcher",
        )
        scheduler.start()
        log.info("clock running: dispatching every %s s", settings.dispatch_interval_seconds)
        try:
            await stop.wait()
        finally:
            # No new ticks; the one running (if any) finishes the sends in flight and records
            # them, rather than being cancelled half-way (APScheduler cancels running
            # coroutines); the rows it claimed and did not start go back to pending.
            scheduler.pause()
            await dispatcher.stop()
            scheduler.shutdown(wait=False)
            await db.dispose()
            log.info("clock stopped")


def run(settings: Settings) -> None:
    asyncio.run(run_clock(settings))
