"""`python -m bot sandbox`: HomeDemo without Telegram, in one process.

An SQLite database in a temporary folder (migrated, and seeded unless empty), the local Bot API
server on a free loopback port, the bot polling it with its outbox dispatcher, one movable clock
for all of them, and the page at http://127.0.0.1:8080. Nothing here talks to Telegram: the
bot's API root is the local server, whatever the environment says.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shutil
import signal
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr
from telegram import BotCommandScopeChat
from telegram.ext import Application

from bot.app import build_application
from bot.clock import MovableClock
from bot.config import Settings, SettingsError, async_database_url
from bot.db import Database
from models.users import User
from sandbox import world
from sandbox.botapi.server import FakeBotAPI
from sandbox.table import Table, TypingProcessor
from sandbox.web import make_app
from views.i18n import use_locale
from views.menus import commands_for

log = logging.getLogger(__name__)

TOKEN = "424242:SANDBOX-not-a-real-token"
BOT_USERNAME = "HomeDemoSandboxBot"


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 8080
    public: bool = False  # listen on an address other than loopback
    empty: bool = False  # no sample world
    start: datetime | None = None  # where the clock starts (default: now)


def check_host(host: str, *, public: bool) -> None:
    """The page acts as anyone at the table, without a password: loopback only, unless told."""
    if public or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SettingsError(
            f"The sandbox listens on this computer only (127.0.0.1 or localhost), not on {host}: "
            "anyone who reaches the page can act as anyone in it. Add --public if you mean it."
        )


def sandbox_settings(settings: Settings, *, api_url: str, database_url: str) -> Settings:
    """The operator's settings (language, timezone, currency, reminder hours...), with the
    sandbox's own token, Bot API server and database: never Telegram's."""
    return settings.model_copy(
        update=dict(
            bot_token=SecretStr(TOKEN),
            telegram_api_url=api_url,
            database_url=async_database_url(database_url),
            admin_telegram_ids=frozenset({world.ADMIN.id}),
            webhook_url=None,
            dispatch_in_bot=True,
            dispatch_interval_seconds=5,
            # One person plays everyone at machine speed: no per-chat pacing.
            chat_messages_per_second=1000,
            chat_burst=1000,
        )
    )


def run(settings: Settings, options: Options) -> None:
    check_host(options.host, public=options.public)
    asyncio.run(serve(settings, options))


async def serve(settings: Settings, options: Options, *, stop: asyncio.Event | None = None) -> None:
    """Runs until `stop` is set (or SIGTERM, Ctrl-C)."""
    check_host(options.host, public=options.public)
    stop = stop or _stop_on_signals()
    sandbox = Sandbox(settings, options)
    try:
        await sandbox.start()
        print(f"HomeDemo sandbox: open {sandbox.url} (Ctrl-C stops it)", flush=True)
        await stop.wait()
    finally:
        await sandbox.stop()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _menu(user: User) -> tuple[int, list]:
    with use_locale(user.locale):
        return user.telegram_id, commands_for(user)


class Sandbox:
    def __init__(self, settings: Settings, options: Options) -> None:
        self.options = options
        self.clock = MovableClock(options.start)
        self.api = FakeBotAPI(TOKEN, BOT_USERNAME, clock=self.clock.timestamp)
        self.folder = Path(tempfile.mkdtemp(prefix="homedemo-sandbox-"))
        self._settings = settings
        self.settings: Settings | None = None
        self.application: Application | None = None
        self.table: Table | None = None
        self._site_runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise here
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # a tick skipped while a clock move sends
        from bot.migrate import upgrade  # imported here, after quieting alembic's start-up lines

        api_url = await self.api.start()  # always 127.0.0.1, a free port
        database_url = f"sqlite:///{self.folder / 'sandbox.sqlite3'}"
        self.settings = sandbox_settings(self._settings, api_url=api_url, database_url=database_url)
        await asyncio.to_thread(upgrade, self.settings.database_url)
        db = Database(self.settings.database_url)
        menus = [] if self.options.empty else await self._seed(db)
        processor = TypingProcessor(self.settings.max_concurrent_updates)
        self.application = build_application(self.settings, db=db, clock=self.clock, update_processor=processor)
        self.table = processor.table = Table(self.api, self.application, self.clock, self.settings)
        for person in world.people(empty=self.options.empty):
            self.table.seat(person)
        # The seeded people have talked to the bot before: their chats exist, their menus are set.
        self.api.meet(*[p.id for p in world.people(empty=self.options.empty) if p.role != "someone"])
        app = self.application
        await app.initialize()
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0, timeout=10)
        await app.start()
        await self._set_menus(menus)
        self._site_runner = web.AppRunner(make_app(self.table, public=self.options.public), access_log=None)
        await self._site_runner.setup()
        site = web.TCPSite(self._site_runner, self.options.host, self.options.port)
        try:
            await site.start()
        except OSError as error:
            raise SettingsError(
                f"The sandbox cannot listen on {self.options.host}:{self.options.port} ({error.strerror}). "
                "Choose another port: python -m bot sandbox --port 8081"
            ) from None
        port = self._site_runner.addresses[0][1]
        host = self.options.host if ":" not in self.options.host else f"[{self.options.host}]"
        self.url = f"http://{host}:{port}"

    async def _seed(self, db: Database) -> list[tuple[int, list]]:
        """The sample world; returns each seller's chat and command menu."""
        async with db.session_scope() as session:
            seeded = await world.seed(session, now=self.clock.now(), settings=self.settings)
            return [_menu(user) for user in (seeded["admin"], seeded["manager"], *seeded["advisors"])]

    async def _set_menus(self, menus: list[tuple[int, list]]) -> None:
        for chat_id, commands in menus:
            await self.application.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))

    async def stop(self) -> None:
        if self._site_runner is not None:
            await self._site_runner.cleanup()
        app = self.application
        if app is not None:
            if app.updater.running:
                await app.updater.stop()
            await app.bot_data["dispatcher"].stop(grace=2)
            if app.running:
                await app.stop()
            await app.shutdown()
            await app.post_shutdown(app)
        await self.api.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
