"""The outbox dispatcher: claims due rows, renders them, sends them, records the outcome.

Claiming commits before sending, so two dispatchers (in the bot and in `python -m bot clock`,
or two clocks) never send the same row. A claim is a lease of one minute, renewed while its
rows are being sent: rows claimed by a process that died (kill -9) are claimed again within a
minute. A crash between sending and recording repeats at most the sends that were in flight:
at-least-once, never silently lost.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import update
from telegram import Bot, BotCommandScopeChat, InputFile, LabeledPrice
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database, long_statements
from bot.notices import LOADERS, Defer
from bot.offload import off_loop
from bot.ratelimit import BULK, PriorityRateLimiter
from models import botstate, commissions, digests, party_rewards, privacy
from models.notifications import NoticeStatus, Notification, claim, due_rows, release_claims, renew_claims
from models.users import User
from views.i18n import use_locale, use_timezone
from views.notifications import VIEWS, Env
from views.outgoing import CAPTION_LIMIT, Outgoing, shorten, split_text

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=1)  # a claim not renewed for this long belongs to a dead process
RENEW_EVERY = 20.0  # seconds between renewals of the claims being sent
HOUSEKEEPING_EVERY = timedelta(minutes=1)  # closing months and planning digests: a minute late is fine
BACKOFF_BASE = timedelta(seconds=30)
DRAWN = {"team_digest"}  # views that draw a chart or build a file: rendered off the event loop
HANDLED_UPDATES_KEPT = timedelta(days=2)  # Telegram gives up on an update after 24 hours


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        bot: Bot,
        clock: Clock,
        settings: Settings,
        batch: int = 50,
        concurrency: int | None = None,
    ) -> None:
        self.db, self.bot, self.clock, self.settings = db, bot, clock, settings
        self.batch = batch
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._sending = asyncio.Semaphore(concurrency or settings.dispatch_concurrency)
        self.busy = asyncio.Lock()  # held during a tick, so a shutdown can let it finish
        # Marked as bulk, the bot's PriorityRateLimiter lets replies to people go first.
        self._bulk = BULK if isinstance(getattr(bot, "rate_limiter", None), PriorityRateLimiter) else None
        self._housekept_at = None
        self._purged_on = None  # the day stale guests were last removed: a 12-month rule needs no more
        self._nudge: asyncio.Task | None = None
        self._nudged_again = False
        self.stopping = False

    def env(self) -> Env:
        s = self.settings
        return Env(
            currency=s.currency,
            reward_table=s.reward_table,
            plan=s.plan,
            now=self.clock.now(),
            payments=s.payment_provider_token is not None,
        )

    async def run_once(self) -> int:
        """Sends what is due now; returns how many rows it handled."""
        if self.stopping:
            return 0
        now = self.clock.now()
        for _attempt in range(5):
            async with self.db.session_scope() as session:
                ids = await due_rows(session, now=now, stale_before=now - LEASE, limit=self.batch)
                rows = await claim(session, ids=ids, worker=self.worker, now=now, stale_before=now - LEASE)
            # Without SKIP LOCKED (SQLite) another dispatcher may have just claimed what we saw:
            # look again rather than report "nothing due".
            if rows or not ids:
                break
        if rows:
            renewing = asyncio.create_task(self._renew([row.id for row in rows]))
            try:
                await asyncio.gather(*(self._deliver(row) for row in rows))
            finally:
                renewing.cancel()
        return len(rows)

    async def _renew(self, ids: list[int]) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            async with self.db.session_scope() as session:
                await renew_claims(session, ids=ids, worker=self.worker, now=self.clock.now())

    async def run_until_idle(self) -> int:
        total = 0
        while handled := await self.run_once():
            total += handled
        return total

    def nudge(self) -> None:
        """A change just wrote a message that is due now: send it without waiting for the tick."""
        if self._nudge is not None and not self._nudge.done():
            self._nudged_again = True
            return
        self._nudge = asyncio.get_running_loop().create_task(self._send_nudged())

    async def _send_nudged(self) -> None:
        try:
            while True:
                self._nudged_again = False
                async with self.busy:
                    await self.run_once()
                if not self._nudged_again:
                    return
        except Exception:
            log.exception("sending the outbox failed; the next tick tries again")

    async def drain(self) -> None:
        """Lets a nudged send finish (on shutdown)."""
        if self._nudge is not None:
            await asyncio.gather(self._nudge, return_exceptions=True)

    def begin_stop(self) -> None:
        """No new sends from now on; those in flight finish and are recorded."""
        self.stopping = True

    async def stop(self, grace: float = 5.0) -> int:
        """Stops sending, waits (up to `grace` seconds) for the sends in flight, then hands back
        the rows this process claimed and did not send, so that another process (or this one,
        restarted) sends them at once instead of after the lease. Returns how many."""
        self.begin_stop()
        try:
            await asyncio.wait_for(self._wait_idle(), grace)
        except TimeoutError:
            log.warning("sends still in flight after %s s; their rows are handed back (they may go out twice)", grace)
        async with self.db.session_scope() as session:
            released = await release_claims(session, worker=self.worker)
        if released:
            log.info("handed back %s claimed messages not sent", released)
        return released

    async def _wait_idle(self) -> None:
        async with self.busy:
            pass
        await self.drain()

    async def plan_weekly(self) -> int:
        with long_statements():  # reads every seller: off the loop's thread on SQLite
            async with self.db.session_scope() as session:
                return await digests.plan_weekly_digests(
                    session, now=self.clock.now(), weekday=self.settings.digest_weekday, hour=self.settings.digest_hour
                )

    async def tick(self) -> int:
        """What the scheduler calls: close last month's commissions and the parties past their
        close, remove stale guests, plan this week's digests, then send what is due."""
        async with self.busy:
            now = self.clock.now()
            # Planning reads every seller: once a minute, not on every tick of a busy outbox.
            if self._housekept_at is None or abs(now - self._housekept_at) >= HOUSEKEEPING_EVERY:
                await self._housekeep(now)
            return await self.run_once()

    async def _housekeep(self, now: datetime) -> None:
        # Every past period's entries, every seller: off the loop's thread on SQLite.
        with long_statements():
            async with self.db.session_scope() as session:
                await commissions.close_past_periods(session, plan=self.settings.plan, now=now)
            async with self.db.session_scope() as session:
                # Parties past their close: the host reward frozen once (idempotent), the host told.
                await party_rewards.close_due_parties(session, table=self.settings.reward_table, now=now)
            if self._purged_on != now.date():
                async with self.db.session_scope() as session:
                    await privacy.purge_stale_guests(session, now=now, months=self.settings.guest_retention_months)
                    await botstate.forget_handled_updates(session, before=now - HANDLED_UPDATES_KEPT)
                self._purged_on = now.date()
        await self.plan_weekly()
        self._housekept_at = now

    async def _deliver(self, row: Notification) -> None:
        async with self._sending:
            if self.stopping:
                return  # not started: stop() hands it back
            env = self.env()
            # Loading and rendering only read: on SQLite they do not queue behind replies' writes.
            async with self.db.read_scope() as session:
                recipient = await session.get(User, row.recipient_id)
                late = row.expires_at is not None and env.now >= row.expires_at
                facts = (
                    None
                    if recipient.unreachable_at is not None or late
                    else await LOADERS[row.kind](session, row, recipient, env)
                )
            # Outcomes are recorded in transactions of their own, after this one has closed.
            if recipient.unreachable_at is not None:
                return await self._finish(row, NoticeStatus.UNREACHABLE, "blocked earlier")
            if late:
                log.info("skipping %s: due %s, too late at %s", row.key, row.due_at, env.now)
                return await self._finish(row, NoticeStatus.SKIPPED, "too late")
            if facts is None:
                return await self._finish(row, NoticeStatus.CANCELLED, "nothing to say any more")
            if isinstance(facts, Defer):
                return await self._retry(row, facts.until, None, count=False)
            if row.kind in DRAWN:  # a chart, a CSV: on a worker thread, so nobody's reply waits
                message = await off_loop(_render, row.kind, facts, recipient, env)
            else:
                message = _render(row.kind, facts, recipient, env)
            await self._keep_chart(row, message)
            await self._send(row, recipient, message)

    async def _keep_chart(self, row: Notification, message: Outgoing) -> None:
        """A chart just drawn is kept in the row's payload before the first attempt to send it:
        a retry (or another process, after a crash) sends the same PNG without drawing it again."""
        data = row.data
        if (
            message.photo is None
            or message.photo_key is None
            or (data.get("chart") or {}).get("key") == message.photo_key
        ):
            return
        data["chart"] = {"key": message.photo_key, "png": base64.b64encode(message.photo).decode("ascii")}
        row.payload = json.dumps(data)
        await self._update(row, {"payload": row.payload})

    async def _send(self, row: Notification, recipient: User, message: Outgoing) -> None:
        try:
            await self._send_parts(recipient.telegram_id, message)
        except Forbidden as error:
            await self._unreachable(row, recipient, str(error))
        except RetryAfter as error:  # the rate limiter's own retries ran out
            await self._retry(row, self.clock.now() + _seconds(error.retry_after), str(error), count=False)
        except BadRequest as error:
            if "chat not found" in str(error).lower():  # never started the bot, or deleted the chat
                return await self._unreachable(row, recipient, str(error))
            await self._finish(row, NoticeStatus.FAILED, str(error))
        except (NetworkError, TelegramError) as error:
            attempts = row.attempts + 1
            if attempts >= self.settings.send_max_attempts:
                log.error("giving up on %s after %s attempts: %s", row.key, attempts, error)
                await self._finish(row, NoticeStatus.FAILED, str(error), attempts=attempts)
            else:
                await self._retry(row, self.clock.now() + BACKOFF_BASE * 2 ** (attempts - 1), str(error), count=True)
        else:
            await self._finish(row, NoticeStatus.SENT, None, sent=True)

    async def _send_parts(self, chat_id: int, message: Outgoing) -> None:
        """The chart, then the text (several messages if long; the keyboard on the last), then files."""
        if message.commands is not None:
            await self.bot.set_my_commands(
                message.commands, scope=BotCommandScopeChat(chat_id), rate_limit_args=self._bulk
            )
        if message.photo is not None:
            await self.bot.send_photo(
                chat_id, InputFile(message.photo, filename="chart.png"), rate_limit_args=self._bulk
            )
        parts = split_text(message.text) if message.text else []
        for number, part in enumerate(parts, 1):
            markup = message.markup if number == len(parts) else None
            await self.bot.send_message(chat_id, part, reply_markup=markup, rate_limit_args=self._bulk)
        for document in [d for d in (message.document, *message.extra) if d is not None]:
            await self.bot.send_document(
                chat_id,
                InputFile(document.data, filename=document.filename),
                caption=shorten(document.caption, CAPTION_LIMIT) or None,
                rate_limit_args=self._bulk,
            )
        token = self.settings.payment_provider_token
        if message.invoice is not None and token is not None:
            invoice = message.invoice
            await self.bot.send_invoice(
                chat_id,
                title=invoice.title,
                description=invoice.description,
                payload=invoice.payload,
                currency=invoice.currency,
                prices=[LabeledPrice(label, amount) for label, amount in invoice.prices],
                provider_token=token.get_secret_value(),
                rate_limit_args=self._bulk,
            )

    async def _finish(
        self,
        row: Notification,
        status: NoticeStatus,
        error: str | None,
        *,
        sent: bool = False,
        attempts: int | None = None,
    ) -> None:
        values = {"status": status, "last_error": error}
        if sent:
            values["sent_at"] = self.clock.now()
        if attempts is not None:
            values["attempts"] = attempts
        await self._update(row, values)

    async def _retry(self, row: Notification, when, error: str | None, *, count: bool) -> None:
        values = {"status": NoticeStatus.PENDING, "due_at": when, "last_error": error, "claimed_by": None}
        if count:
            values["attempts"] = row.attempts + 1
        await self._update(row, values)

    async def _unreachable(self, row: Notification, recipient: User, error: str) -> None:
        async with self.db.session_scope() as session:
            await session.execute(update(User).where(User.id == recipient.id).values(unreachable_at=self.clock.now()))
        await self._finish(row, NoticeStatus.UNREACHABLE, error)

    async def _update(self, row: Notification, values: dict) -> None:
        # Only the dispatcher holding the claim may record the outcome.
        async with self.db.session_scope() as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == row.id, Notification.claimed_by == self.worker)
                .values(**values)
            )


def _render(kind: str, facts, recipient: User, env: Env) -> Outgoing:
    with use_locale(recipient.locale), use_timezone(recipient.timezone):
        return VIEWS[kind](facts, recipient, env)


def _seconds(retry_after) -> timedelta:
    return retry_after if isinstance(retry_after, timedelta) else timedelta(seconds=float(retry_after))
