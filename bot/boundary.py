"""One update, one boundary.

Everything an update needs is opened at its start and closed at its end, whatever happens in
between: the sender's row, their language and timezone, the clock, one database transaction.
The flows queue their replies; the boundary commits the change together with the conversation
state it records, and only then sends the replies. An error anywhere rolls everything back and
reaches the sender in their own language.

Updates of different people run concurrently; the updates of one person (and of one chat) run
one after the other, in the order they arrived.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncIterator, Awaitable, Callable
import contextvars

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext

from bot.config import Settings
from bot.db import Database
from models import DomainError, users
from models.users import User
from views.errors import error_text
from views.i18n import _, normalize_locale, use_locale, use_timezone
from views.outgoing import MESSAGE_LIMIT, Document, shorten, split_text

log = logging.getLogger(__name__)

ALERT_LIMIT = 200  # characters Telegram shows in a button's alert


class Replies:
    """What the bot says back to the sender of this update, sent once the change is committed."""

    def __init__(self, update: Update) -> None:
        self._update = update
        self._ack: tuple[str | None, bool] | None = None
        self._calls: list[Callable[[], Awaitable[Any]]] = []

    @property
    def _chat(self):
        return self._update.effective_chat

    def ack(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answers the pressed button (Telegram takes one answer per press; the last one asked wins)."""
        if self._update.callback_query is not None:
            self._ack = (text, alert)

    def send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        parts = split_text(text)
        for number, part in enumerate(parts, 1):
            last = number == len(parts)
            self._calls.append(lambda part=part, last=last: self._chat.send_message(part, reply_markup=markup if last else None))

    def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replaces the pressed button's message; sends a new one where that cannot be done.
        An edit that would change nothing is not sent (Telegram refuses it)."""
        query = self._update.callback_query
        message = query.message if query is not None else None
        if message is None or not getattr(message, "text", None) or len(split_text(text)) > 1:
            return self.send(text, markup)
        if message.text == text and message.reply_markup == markup:
            return None
        self._calls.append(lambda: query.edit_message_text(text, reply_markup=markup))
        return None

    def document(self, document: Document) -> None:
        caption = shorten(document.caption, 1024)
        self._calls.append(lambda: self._chat.send_document(InputFile(document.data, filename=document.filename), caption=caption))

    def menu(self, commands: list[BotCommand]) -> None:
        chat_id = self._chat.id
        self._calls.append(lambda: self._chat.get_bot().set_my_commands(commands, scope=BotCommandScopeChat(chat_id)))

    def refuse(self, text: str) -> None:
        """Nothing happened; says why: in the button's alert when it fits, else as a message."""
        self._calls.clear()
        if self._update.callback_query is not None and len(text) <= ALERT_LIMIT:
            self._ack = (text, True)
            return
        self._ack = (None, False) if self._update.callback_query is not None else None
        if self._chat is not None:
            self.send(text[:MESSAGE_LIMIT])

    def discard(self) -> None:
        self._calls.clear()
        self._ack = None

    async def flush(self) -> None:
        query = self._update.callback_query
        try:
            if query is not None:
                # Every press is answered, so the button stops spinning on the phone.
                text, alert = self._ack or (None, False)
                await query.answer(text, show_alert=alert)
            for call in self._calls:
                await call()
        except TelegramError as error:
            # The change is committed; only the reply could not go out. Nothing to undo.
            log.warning("reply to update %s not delivered: %s", self._update.update_id, error)
        finally:
            self._calls.clear()
            self._ack = None


@dataclass
class UpdateScope:
    """What one update has at hand, from its start to its end."""

    update: Update
    session: AsyncSession
    user: User | None
    locale: str
    timezone: str
    now: datetime
    replies: Replies
    failed: bool = False
    wrote_outbox: bool = False
    extra: dict = field(default_factory=dict)


_scope: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar("update_scope", default=None)


def current_scope() -> UpdateScope:
    scope = _scope.get()
    if scope is None:
        raise RuntimeError("no update is being handled here")
    return scope


def sender_locale(update: Update, settings: Settings) -> str:
    user = update.effective_user
    return normalize_locale(user.language_code if user else None, settings.default_locale)


class BoundaryProcessor(BaseUpdateProcessor):
    """Runs every update inside its boundary; one person's updates in order, others' concurrently."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self.application: Application | None = None
        self._locks: dict[str, list] = {}  # key -> [lock, holders and waiters]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or self.application is None:
            await coroutine
            return
        async with self._in_order(update):
            await self.run_in_boundary(update, coroutine)

    @asynccontextmanager
    async def _in_order(self, update: Update) -> AsyncIterator[None]:
        keys = sorted(_order_keys(update))  # always the same order: no two updates wait on each other
        async with AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self._lock(key))
            yield

    @asynccontextmanager
    async def _lock(self, key: str) -> AsyncIterator[None]:
        entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:  # asyncio.Lock wakes its waiters first come, first served
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)

    async def run_in_boundary(self, update: Update, coroutine: Awaitable[Any]) -> None:
        app = self.application
        settings: Settings = app.bot_data["settings"]
        db: Database = app.bot_data["db"]
        replies = Replies(update)
        scope: UpdateScope | None = None
        committed = awaited = False
        lang, tz = sender_locale(update, settings), settings.default_timezone
        try:
            async with db.session_scope() as session:
                me = await _load_sender(session, update)
                if me is not None:
                    lang, tz = me.locale, me.timezone
                scope = UpdateScope(update, session, me, lang, tz, app.bot_data["clock"].now(), replies)
                with use_locale(lang), use_timezone(tz), _use_scope(scope):
                    awaited = True
                    await coroutine
                    if scope.failed:
                        raise _RolledBack
                    await self._stage_conversation_state(update, session)
            committed = True
        except _RolledBack:
            pass
        except Exception:  # the database refused (or went away): nothing was saved
            log.exception("update %s could not be completed", update.update_id)
            with use_locale(lang):
                replies.refuse(_("Sorry, something went wrong on our side. Nothing was saved; please try again."))
        finally:
            if not awaited:
                coroutine.close()  # the update was refused before its handlers could run
        self._settle_conversation_state(update, committed)
        await replies.flush()
        if committed and scope is not None and scope.wrote_outbox:
            dispatcher = app.bot_data.get("dispatcher")
            if dispatcher is not None and settings.dispatch_in_bot:
                dispatcher.nudge()

    async def _stage_conversation_state(self, update: Update, session: AsyncSession) -> None:
        """Conversation state and the change it records commit together (see bot.persistence)."""
        persistence = self.application.persistence
        if persistence is None or update.effective_user is None:
            return
        await self.application.update_persistence()
        await persistence.write_staged(session, user_id=update.effective_user.id, now=self.application.bot_data["clock"].now())

    def _settle_conversation_state(self, update: Update, committed: bool) -> None:
        persistence = self.application.persistence
        if persistence is None or update.effective_user is None:
            return
        if committed:
            persistence.confirm_staged(user_id=update.effective_user.id)
        else:
            persistence.discard_staged(user_id=update.effective_user.id)


class _RolledBack(Exception):
    """The flow failed and its error was reported: undo the transaction, quietly."""


def _order_keys(update: Update) -> set[str]:
    keys = set()
    if update.effective_user is not None:
        keys.add(f"user:{update.effective_user.id}")
    if update.effective_chat is not None:
        keys.add(f"chat:{update.effective_chat.id}")
    return keys or {"update:none"}


async def _load_sender(session: AsyncSession, update: Update) -> User | None:
    sender = update.effective_user
    if sender is None:
        return None
    me = await users.user_by_telegram_id(session, sender.id)
    if me is not None and me.unreachable_at is not None and update.effective_chat is not None:
        me.unreachable_at = None  # they wrote to us, so they have unblocked the bot
    return me


class _use_scope:
    def __init__(self, scope: UpdateScope) -> None:
        self._scope = scope
        self._token = None

    def __enter__(self) -> UpdateScope:
        self._token = _scope.set(self._scope)
        return self._scope

    def __exit__(self, *exc: object) -> None:
        _scope.reset(self._token)


async def report_error(update: object, context: CallbackContext) -> None:
    """PTB's error handler: the failed update is rolled back and its sender told why, in their
    language; an error outside any update is logged."""
    error = context.error
    scope = _scope.get()
    if scope is None or scope.update is not update:
        log.error("error outside an update", exc_info=error)
        return
    scope.failed = True
    if isinstance(error, DomainError):
        log.info("update %s refused: %s", scope.update.update_id, error.code)
        text = error_text(error)
    else:
        log.error("error while handling update %s", scope.update.update_id, exc_info=error)
        text = _("Sorry, something went wrong on our side. Nothing was saved; please try again.")
    scope.replies.refuse(text)
