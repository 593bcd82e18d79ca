"""Runs the real bot (build_application, polling over HTTP) against FakeBotAPI, and gives
tests people to act as: each sends messages, presses buttons and reads their chat."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from telegram import Update

from bot.app import build_application
from bot.boundary import BoundaryProcessor
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from sandbox.botapi.server import Event, FakeBotAPI

ADMIN_ID = 1000


class SteerableClock(Clock):
    """Real time by default; a test can pin or move it."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        return (self.frozen or datetime.now(UTC)) + self.offset

    def set(self, when: datetime) -> None:
        self.frozen = when.astimezone(UTC)
        self.offset = timedelta()


class TrackingProcessor(BoundaryProcessor):
    """Tells the test when the bot has finished with an update (committed and replied)."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._done: dict[int, asyncio.Event] = {}

    def _event(self, update_id: int) -> asyncio.Event:
        return self._done.setdefault(update_id, asyncio.Event())

    async def do_process_update(self, update: object, coroutine) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                self._event(update.update_id).set()

    async def wait(self, update_id: int, timeout: float = 15) -> None:
        await asyncio.wait_for(self._event(update_id).wait(), timeout)


class Person:
    """Someone using the bot. Their chat exists for the fake server (which answers "chat not
    found" otherwise) from the first update they send, as a real person's does once they start
    the bot; a test that needs it earlier calls bot.api.meet(person.id)."""

    _ids = itertools.count(5000)

    def __init__(
        self,
        bot: BotHarness,
        first_name: str,
        *,
        language_code: str = "it",
        user_id: int | None = None,
        last_name: str | None = None,
    ) -> None:
        self.bot = bot
        self.id = user_id or next(self._ids)
        self.user = {"id": self.id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        if last_name:
            self.user["last_name"] = last_name
        self._seen = 0

    @property
    def chat(self) -> list[Event]:
        return self.bot.api.chats.get(self.id, [])

    def received(self) -> list[Event]:
        """What appeared in this person's chat since they last looked."""
        new = self.chat[self._seen :]
        self._seen = len(self.chat)
        return new

    async def send(self, text: str) -> list[Event]:
        await self.bot.deliver(self.bot.api.user_message(self.user, text))
        return self.received()

    async def block(self, blocked: bool = True) -> None:
        """Blocks the bot (or unblocks it) in the Telegram app: Telegram refuses sends to them from now
        on and tells the bot with a my_chat_member update."""
        api = self.bot.api
        (api.blocked.add if blocked else api.blocked.discard)(self.id)
        statuses = [
            {"status": "member", "user": api.bot_user},
            {"status": "kicked", "until_date": 0, "user": api.bot_user},
        ]
        old, new = statuses if blocked else statuses[::-1]
        chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        member = {"chat": chat, "from": self.user, "date": 1, "old_chat_member": old, "new_chat_member": new}
        await self.bot.deliver({"my_chat_member": member})

    def last_with_button(self, label: str) -> tuple[int, str]:
        for event in reversed(self.chat):
            for row in event.buttons:
                for button in row:
                    if label in button["text"]:
                        return event.message_id, button["callback_data"]
        raise AssertionError(f"no button {label!r} in {self.id}'s chat: {[e.text for e in self.chat[-5:]]}")

    async def press(self, label: str) -> list[Event]:
        message_id, data = self.last_with_button(label)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[Event]:
        await self.bot.deliver(self.bot.api.button_press(self.user, message_id, data))
        return self.received()

    def last_message_id(self) -> int:
        """The newest message in the chat (alerts have none), to forge a button press on."""
        return next(e.message_id for e in reversed(self.chat) if e.message_id is not None)

    def buttons(self) -> list[str]:
        for event in reversed(self.chat):
            if event.buttons:
                return [b["text"] for row in event.buttons for b in row]
        return []


class BotHarness:
    def __init__(self, db: Database, clock: SteerableClock | None = None, **settings) -> None:
        self.db = db
        self.clock = clock or SteerableClock()
        self.api = FakeBotAPI()
        self._settings = settings
        self.app = None
        self.processor: TrackingProcessor | None = None
        # As in production, where a commit that writes to the outbox nudges the dispatcher: after
        # each update the messages it caused for other people are sent (those due by then).
        self.auto_dispatch = True

    @property
    def settings(self) -> Settings:
        # The test drives the dispatcher itself (bot.dispatch()), at the times it chooses.
        values = dict(
            bot_token=self.api.token,
            database_url=self.db.engine.url.render_as_string(hide_password=False),
            telegram_api_url=self.api.url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            dispatch_in_bot=False,
            # People in tests answer at machine speed; tests/test_ratelimit.py covers the per-chat pace.
            chat_messages_per_second=1000,
            chat_burst=1000,
        )
        values.update(self._settings)
        return Settings(_env_file=None, **values)

    async def start(self) -> None:
        if not self.api.url:
            await self.api.start()
        self.processor = TrackingProcessor()
        self.app = build_application(self.settings, db=self.db, clock=self.clock, update_processor=self.processor)
        # The same order as Application.run_polling, which tests cannot use (it owns the loop).
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.updater.start_polling(poll_interval=0, timeout=5)
        await self.app.start()

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.updater.stop()
            await self.app.stop()
            await self.app.shutdown()
            if self.app.post_shutdown:
                await self.app.post_shutdown(self.app)
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def close(self) -> None:
        await self.stop()
        await self.api.stop()

    async def deliver(self, update: dict) -> None:
        update_id = await self.api.push(update)
        await self.processor.wait(update_id)
        if self.auto_dispatch:
            await self.app.bot_data["dispatcher"].run_until_idle()

    async def dispatch(self) -> int:
        """One scheduler tick at the test clock's time: plan digests, send what is due."""
        return await self.app.bot_data["dispatcher"].tick()

    def person(self, first_name: str, **kwargs) -> Person:
        return Person(self, first_name, **kwargs)
