"""Runs the bot in the foreground until SIGTERM or Ctrl-C: long polling (`python -m bot run`,
for a laptop) or a webhook (`python -m bot webhook`, the Procfile's `web`).

Both follow PTB's own order (initialize, post_init, receive, start ... stop, shutdown,
post_shutdown), written out here so that stopping can do more than PTB's run_* would: stop
receiving first, let the updates in flight finish, and hand back the outbox rows this process
claimed and did not send. Platforms send SIGTERM and kill a few seconds later (Heroku: 30 s);
this takes well under 10.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.scheduling import OldestFirstEventLoop
from bot.webhook import WebhookServer

log = logging.getLogger(__name__)
T = TypeVar("T")

DISPATCH_GRACE = 5.0  # seconds for the outbox sends in flight when asked to stop


def run(settings: Settings, *, webhook: bool = False) -> None:
    settings.token()  # stop early, with instructions, when there is no token
    if webhook:
        settings.webhook()  # the same for the webhook's address and secret
    run_on_bot_loop(serve(settings, webhook=webhook))


def run_on_bot_loop(main: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to its end on the bot's event loop: uvloop where it is built, asyncio's
    own elsewhere, the updates' ready work taken oldest first (bot.scheduling). The benches run
    their fake Telegram on it too."""
    with asyncio.Runner(loop_factory=OldestFirstEventLoop) as runner:
        return runner.run(main)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, *, webhook: bool, host: str = "0.0.0.0") -> None:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    application = build_application(settings, webhook=webhook)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    receiver = await start_receiving(application, settings, webhook=webhook, host=host)
    await application.start()
    settle_heap()
    log.info("bot running (%s)", "webhook" if webhook else "long polling")
    await stop.wait()
    await stop_gracefully(application, receiver)


def settle_heap() -> None:
    """What start-up loaded (modules, mappers, the catalogs, dateparser's languages: some 155,000
    objects) lives as long as the process. Left to the collector, every full collection walks
    all of it again, and the update that triggers one waits: 40 to 75 ms, several times a
    minute on a busy evening (measured with gc.callbacks under bench/concurrency.py). Collected
    once and frozen here (gc.freeze, as CPython's documentation advises for servers), a full
    collection walks only what updates have left alive since: about 3 ms."""
    gc.collect()
    gc.freeze()
    log.info("heap settled: %d objects frozen", gc.get_freeze_count())


async def start_receiving(
    application: Application, settings: Settings, *, webhook: bool, host: str
) -> WebhookServer | None:
    if not webhook:
        await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        return None
    url, path, secret = settings.webhook()
    server = WebhookServer(application, path=path, secret=secret)
    server.start(host=host, port=settings.port)
    # Telegram sends the secret back in a header with every update; a request without it is not
    # from Telegram. https://core.telegram.org/bots/api#setwebhook
    await application.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    application.bot_data["webhook_port"] = server.port
    return server


async def stop_gracefully(application: Application, receiver: WebhookServer | None) -> None:
    started = time.monotonic()
    log.info("stopping: no new updates; finishing those in flight")
    if receiver is not None:
        await receiver.stop()  # Telegram sends what it could not deliver again, to another process
    elif application.updater is not None and application.updater.running:
        await application.updater.stop()
    await application.bot_data["dispatcher"].stop(grace=DISPATCH_GRACE)
    await application.stop()  # processes the updates already received, waits for the jobs
    if receiver is not None:
        await receiver.close()  # every update received has had its answer by now
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)
    log.info("stopped in %.1f s", time.monotonic() - started)
