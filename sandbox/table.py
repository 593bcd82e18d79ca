"""The sandbox's table: the people one person plays, what each chat shows (the bot's messages and
their own), and the clock. The page acts through it and hears of every change at once (each
listener is a queue that the page's event stream reads)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application

from bot.boundary import BoundaryProcessor
from bot.clock import MovableClock
from bot.config import Settings
from models.notifications import next_due
from sandbox.botapi.server import Event, FakeBotAPI
from sandbox.world import Person
from views.i18n import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

MOVES = ("hour", "day", "reminder", "digest")
NAME_LIMIT = 64


class SandboxError(Exception):
    """A request the page should not have made; str() says why, for the person at the page."""


class TypingProcessor(BoundaryProcessor):
    """The bot's own update processor, telling the table when it is done with someone's update:
    the page shows "typing…" until then."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.table: Table | None = None

    async def do_process_update(self, update: object, coroutine) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if self.table is not None and isinstance(update, Update) and update.effective_user is not None:
                self.table.answered(update.effective_user.id)


class Table:
    def __init__(self, api: FakeBotAPI, application: Application, clock: MovableClock, settings: Settings) -> None:
        self.api, self.application, self.clock, self.settings = api, application, clock, settings
        self.busy: Counter[int] = Counter()  # person -> their updates the bot has not finished
        self.people: dict[int, Person] = {}
        self.items: list[dict] = []  # every chat's transcript, in order; edits are items too
        self.files: dict[int, tuple[str, bytes, str]] = {}  # item id -> (filename, content, kind)
        self._ids = itertools.count(1)
        self._new_people = itertools.count(3001)
        self.listeners: set[asyncio.Queue] = set()
        self.moving = asyncio.Lock()
        api.on_event.append(self._bot_event)
        api.on_menu.append(lambda: self._publish("menus", self.menus()))

    # ---- what the page reads ----

    def state(self) -> dict:
        return {
            "bot": self.api.bot_user["username"],
            "now": self.clock.now().isoformat(),
            "timezone": self.settings.default_timezone,
            "people": [self.describe(p) for p in self.people.values()],
            "items": self.items,
            "menus": self.menus(),
            "keyboards": {str(chat): _keyboard(rows) for chat, rows in self.api.keyboards.items()},
        }

    def menus(self) -> dict[str, list[dict]]:
        return {str(p.id): self.api.menu_for(p.id, p.language) for p in self.people.values()}

    def subscribe(self) -> asyncio.Queue:
        """A queue of what happens from now on, starting with the whole state (nothing in between)."""
        queue: asyncio.Queue = asyncio.Queue()
        queue.put_nowait(("state", self.state()))
        self.listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.listeners.discard(queue)

    def _publish(self, kind: str, data: object) -> None:
        for queue in self.listeners:
            queue.put_nowait((kind, data))

    @staticmethod
    def describe(person: Person) -> dict:
        return {"id": person.id, "name": person.name, "language": person.language, "role": person.role}

    def _add_item(self, chat_id: int, **fields: object) -> dict:
        item = {"id": next(self._ids), "chat": chat_id, "at": self.clock.now().isoformat(), **fields}
        self.items.append(item)
        self._publish("item", item)
        return item

    def _bot_event(self, chat_id: int, event: Event) -> None:
        item = self._add_item(
            chat_id,
            sender="bot",
            kind=event.kind,
            message_id=event.message_id,
            text=event.text,
            entities=event.entities,
            buttons=event.buttons,
            filename=event.filename,
            keyboard=_keyboard(self.api.keyboards.get(chat_id)),
        )
        if event.document is not None:
            self.files[item["id"]] = (event.filename or "file", event.document, event.kind)

    # ---- what the page does ----

    def seat(self, person: Person) -> None:
        self.people[person.id] = person

    def add_person(self, name: str, language: str) -> Person:
        name = " ".join(str(name or "").split())
        if not name or len(name) > NAME_LIMIT:
            raise SandboxError(f"A name of 1 to {NAME_LIMIT} characters, please.")
        if language not in SUPPORTED_LOCALES:
            raise SandboxError(f"The language is one of {', '.join(SUPPORTED_LOCALES)}.")
        person = Person(next(self._new_people), name, language, "someone")
        self.seat(person)
        self._publish("person", self.describe(person))
        return person

    def _who(self, person_id: object) -> Person:
        try:
            return self.people[int(person_id)]
        except (KeyError, TypeError, ValueError):
            raise SandboxError("Nobody by that id sits at this table.") from None

    def _user(self, person: Person) -> dict:
        return {"id": person.id, "is_bot": False, "first_name": person.name, "language_code": person.language}

    async def say(self, person_id: object, text: str) -> dict:
        """`text` typed by that person in their chat with the bot."""
        person = self._who(person_id)
        text = str(text or "").strip()
        if not text:
            raise SandboxError("Type something first.")
        update = self.api.user_message(self._user(person), text)
        item = self._add_item(person.id, sender="me", kind="message", text=text, entities=[], buttons=[])
        await self._push(person, update)
        return item

    async def _push(self, person: Person, update: dict) -> None:
        self.busy[person.id] += 1
        self._publish("typing", {"person": person.id, "busy": True})
        await self.api.push(update)

    def answered(self, person_id: int) -> None:
        if self.busy[person_id] > 0:
            self.busy[person_id] -= 1
        if not self.busy[person_id]:
            self._publish("typing", {"person": person_id, "busy": False})

    async def press(self, person_id: object, message_id: object, data: str) -> None:
        """That person presses an inline button of a bot message in their chat."""
        person = self._who(person_id)
        try:
            update = self.api.button_press(self._user(person), int(message_id), str(data))
        except (KeyError, TypeError, ValueError):
            raise SandboxError("That message is not in this person's chat.") from None
        await self._push(person, update)

    async def open_link(self, person_id: object, payload: str) -> dict:
        """A t.me/<bot>?start=<payload> link opened by that person: Telegram sends /start <payload>."""
        return await self.say(person_id, f"/start {payload}".strip())

    def file(self, item_id: object) -> tuple[str, bytes, str]:
        try:
            return self.files[int(item_id)]
        except (KeyError, TypeError, ValueError):
            raise SandboxError("No such file.") from None

    # ---- the clock ----

    async def move(self, how: str) -> dict:
        """Moves the clock forward, then sends whatever fell due (reminders, follow-ups, digests)."""
        if how not in MOVES:
            raise SandboxError(f"The clock moves by one of {', '.join(MOVES)}.")
        async with self.moving:
            target = await self._target(how, self.clock.now())
            self.clock.move_to(target)
            self._publish("clock", {"now": self.clock.now().isoformat()})
            dispatcher = self.application.bot_data["dispatcher"]
            sent = await dispatcher.tick()
            sent += await dispatcher.run_until_idle()
        return {"moved_to": target.isoformat(), "now": self.clock.now().isoformat(), "sent": sent}

    async def _target(self, how: str, now: datetime) -> datetime:
        if how == "hour":
            return now + timedelta(hours=1)
        if how == "day":
            return now + timedelta(days=1)
        if how == "digest":
            return next_weekly(
                now, self.settings.default_timezone, self.settings.digest_weekday, self.settings.digest_hour
            )
        async with self.application.bot_data["db"].session_scope() as session:
            due = await next_due(session, after=now)
        if due is None:
            raise SandboxError("Nothing is planned: no reminder to move to.")
        return due


def next_weekly(now: datetime, timezone: str, weekday: int, hour: int) -> datetime:
    """The next such weekday and hour (Monday 08:00) in that timezone, after now."""
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    when = datetime.combine(day, time(hour), tz)
    if when <= now:
        when = datetime.combine(day + timedelta(days=7), time(hour), tz)
    return when


def _keyboard(rows: list | None) -> list[list[str]] | None:
    """A reply keyboard's buttons as the texts they send."""
    if not rows:
        return None
    return [[button if isinstance(button, str) else str(button.get("text", "")) for button in row] for row in rows]
