"""One update, one boundary.

Everything an update needs is opened at its start and closed at its end, whatever happens in
between: the sender's row, their language and timezone, the clock, one database transaction.
The flows queue their replies; the boundary commits the change together with the conversation
state it records, and only then sends the replies. An error anywhere rolls everything back and
reaches the sender in their own language.

Updates of different people run concurrently; the updates of one person (and of one chat) run
one after the other, in the order they arrived. Across processes (several `web` behind the
webhook on PostgreSQL) each update's transaction first takes its sender's advisory lock, so no
two processes handle one person's updates at once, and records its update id, so that an update
Telegram delivers again (to whichever process) is handled once. Order across processes comes
from Telegram itself: it sends a chat's next update only once the webhook has answered the
previous one, and bot.webhook answers only when the update has been handled.

On PostgreSQL, an update whose handlers only read (lists, views, files: marked `reads_only`)
runs on read-only connections instead (Database.read_scope: each statement its own read-only
transaction): no BEGIN or COMMIT, no advisory or row lock, no update id recorded (read again, it
changes nothing): four round trips fewer. PostgreSQL refuses a write there, so a wrong mark
cannot go unseen.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ChatMember, Update
from telegram.ext import Application, BaseUpdateProcessor, CallbackContext

from bot import alerts, scheduling
from bot.config import Settings
from bot.db import Database
from bot.logs import UpdateLine
from bot.replies import Replies
from models import DomainError, botstate, users
from models.users import User
from views.errors import error_text
from views.i18n import _, normalize_locale, use_locale, use_timezone

log = logging.getLogger(__name__)

RECENT_UPDATES = 10_000  # update ids remembered to drop a replayed one
READS_ONLY = "reads_only"  # the attribute reads_only() sets on a handler's callback


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
        # Telegram delivers an update again when it saw no answer in time (a webhook that timed
        # out, a restart mid-request). In one process these ids drop the replay at once; across
        # processes the update id recorded with each commit does (models.botstate).
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._waiting: dict[int, asyncio.Future[None]] = {}  # update id -> done when handled
        self._in_progress: set[int] = set()

    def when_handled(self, update_id: int) -> asyncio.Future[None]:
        """Done once the update has been handled (committed and replied to, refused, or dropped)."""
        return self._waiting.setdefault(update_id, asyncio.get_running_loop().create_future())

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _seen_before(self, update_id: int) -> bool:
        if update_id in self._recent:
            return True
        self._recent[update_id] = None
        if len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)
        return False

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or self.application is None:
            await coroutine
            return
        scheduling.arrived()  # its steps go before those of updates that arrive after it,
        await asyncio.sleep(0)  # this one's first too (PTB started it as work of no update)
        update_id = update.update_id
        if self._seen_before(update_id):
            coroutine.close()
            log.info("update %s received again: already handled, dropped", update_id)
            if update_id not in self._in_progress:  # else its answer waits for the first delivery
                self._settle(update_id)
            return
        self._in_progress.add(update_id)
        try:
            await self._process(update, coroutine)
        finally:
            self._in_progress.discard(update_id)
            self._settle(update_id)

    def _settle(self, update_id: int) -> None:
        waiting = self._waiting.pop(update_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def _process(self, update: Update, coroutine: Awaitable[Any]) -> None:
        started = time.perf_counter()
        with UpdateLine() as line:
            async with self._in_order(update):
                outcome = await self.run_in_boundary(update, coroutine)
        chat = update.effective_chat
        line.write(update.update_id, chat.id if chat else None, (time.perf_counter() - started) * 1000, outcome)

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

    async def run_in_boundary(self, update: Update, coroutine: Awaitable[Any]) -> str:
        """Runs the update; says how it ended: "committed", "refused" or "failed"."""
        app = self.application
        settings: Settings = app.bot_data["settings"]
        replies = Replies(update)
        scope: UpdateScope | None = None
        committed = awaited = False
        lang, tz = sender_locale(update, settings), settings.default_timezone
        try:
            async with self._transaction(update) as (session, me):
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
        except _HandledBefore:
            log.info("update %s received again: another process handled it, dropped", update.update_id)
            return "replayed"
        except Exception as error:  # the database refused (or went away): nothing was saved
            log.exception("update %s could not be completed", update.update_id)
            if scope is not None:
                scope.extra["alert"] = error
            with use_locale(lang):
                replies.refuse(_("Sorry, something went wrong on our side. Nothing was saved; please try again."))
        finally:
            if not awaited:
                coroutine.close()  # the update was refused before its handlers could run
        self._settle_conversation_state(update, committed)
        await replies.flush()
        alerted = (
            scope is not None and "alert" in scope.extra and await self._alert(scope.extra["alert"], update.update_id)
        )
        if (committed and scope is not None and scope.wrote_outbox) or alerted:
            dispatcher = app.bot_data.get("dispatcher")
            if dispatcher is not None and settings.dispatch_in_bot:
                dispatcher.nudge()
        if committed:
            return "committed"
        return "failed" if scope is None or "alert" in scope.extra else "refused"

    def only_reads(self, update: Update) -> bool:
        """True when every handler PTB will give this update to is marked `reads_only`. PTB's
        rule: in each group, in order, the first handler whose check_update answers neither None
        nor False takes the update (a ConversationHandler is never marked: its steps write)."""
        groups = self.application.handlers
        for group in sorted(groups):
            for handler in groups[group]:
                try:
                    check = handler.check_update(update)
                except Exception:  # PTB's own dispatch will meet it again and report it
                    return False
                if check is not None and check is not False:
                    if not getattr(getattr(handler, "callback", None), READS_ONLY, False):
                        return False
                    break
        return True

    @asynccontextmanager
    async def _transaction(self, update: Update) -> AsyncIterator[tuple[AsyncSession, User | None]]:
        """The update's one transaction and its sender. On PostgreSQL, an update whose handlers
        only read runs on a read-only connection, without the sender's advisory lock and without
        recording its id (delivered again, it is only read again). It becomes a writing one,
        before any handler has run, when the sender's own row has to change (they wrote to us,
        so they no longer block the bot)."""
        db: Database = self.application.bot_data["db"]
        now = self.application.bot_data["clock"].now()
        # PostgreSQL only. On SQLite, updates beside the writer measured worse than all of them
        # taking the one writer's turn in this process (bench/concurrency.py, same hour: p99
        # under load 27 -> 48-54 ms): each connection is a thread of aiosqlite's, and several
        # at once wait on one another for the interpreter. The turn itself is short: a writing
        # transaction's statements run on the loop's thread (bot.db.InlineConnection).
        if db.engine.dialect.name == "postgresql" and self.only_reads(update):
            async with db.read_scope() as session:
                me = await _load_sender(session, update)
                if me is None or _unreachable_since(update, me, now) == me.unreachable_at:
                    yield session, me
                    return
        async with db.session_scope() as session:
            if not await _take_turn(session, update, now):
                raise _HandledBefore
            me = await _load_sender(session, update)
            if me is not None and (since := _unreachable_since(update, me, now)) != me.unreachable_at:
                me.unreachable_at = since  # only when it changes: an assignment alone costs a flush
            yield session, me

    async def _alert(self, error: BaseException, update_id: int) -> bool:
        """After the update's transaction has closed (SQLite has one writer at a time)."""
        data = self.application.bot_data
        return bool(
            await alerts.alert_admins(
                data["db"],
                admin_ids=data["settings"].admin_telegram_ids,
                error=error,
                now=data["clock"].now(),
                update_id=update_id,
            )
        )

    async def _stage_conversation_state(self, update: Update, session: AsyncSession) -> None:
        """Conversation state and the change it records commit together (see bot.persistence)."""
        persistence = self.application.persistence
        if persistence is None or update.effective_user is None:
            return
        await self.application.update_persistence()
        await persistence.write_staged(
            session, user_id=update.effective_user.id, now=self.application.bot_data["clock"].now()
        )

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


class _HandledBefore(Exception):
    """A committed transaction already handled this update: do nothing, say nothing."""


async def _take_turn(session: AsyncSession, update: Update, now: datetime) -> bool:
    """The sender's turn (across processes), then the update's: False if it was handled before."""
    if update.effective_user is not None:
        await botstate.take_turn(session, telegram_id=update.effective_user.id)
    return await botstate.first_delivery(session, update_id=update.update_id, now=now)


def _order_keys(update: Update) -> set[str]:
    keys = set()
    if update.effective_user is not None:
        keys.add(f"user:{update.effective_user.id}")
    if update.effective_chat is not None:
        keys.add(f"chat:{update.effective_chat.id}")
    return keys or {"update:none"}


def reads_only(callback: Callable) -> Callable:
    """Marks a handler's callback as one that only reads and replies (a list, a view, a file):
    its updates run in a read-only transaction (BoundaryProcessor.only_reads). A write in one
    is refused by the database, so a wrong mark fails loudly in the tests, never silently."""
    setattr(callback, READS_ONLY, True)
    return callback


async def _load_sender(session: AsyncSession, update: Update) -> User | None:
    sender = update.effective_user
    return None if sender is None else await users.user_by_telegram_id(session, sender.id)


def _unreachable_since(update: Update, me: User, now: datetime) -> datetime | None:
    """The sender's `unreachable_at` once this update is handled."""
    if update.my_chat_member is not None:  # they blocked the bot ("kicked"), or unblocked it
        blocked = update.my_chat_member.new_chat_member.status == ChatMember.BANNED
        return (me.unreachable_at or now) if blocked else None
    if update.effective_chat is not None:
        return None  # they wrote to us, so they have unblocked the bot
    return me.unreachable_at


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
        data = context.application.bot_data
        await alerts.alert_admins(
            data["db"], admin_ids=data["settings"].admin_telegram_ids, error=error, now=data["clock"].now()
        )
        return
    scope.failed = True
    if isinstance(error, DomainError):
        log.info("update %s refused: %s", scope.update.update_id, error.code)
        text = error_text(error)
    else:
        log.error("error while handling update %s", scope.update.update_id, exc_info=error)
        scope.extra["alert"] = error  # written once the update's transaction has been rolled back
        text = _("Sorry, something went wrong on our side. Nothing was saved; please try again.")
    scope.replies.refuse(text)
