"""Asking for a day and a time: shared by /newdemo, rescheduling and the host's proposal.

The day comes from quick-pick buttons or is typed in the user's locale; the time is typed or
picked. A time that the clocks skip is refused; one they pass twice is asked about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta

from babel.dates import format_date
from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import Context
from handlers.common import ack, keyboard, say, user_scope
from models import DomainError
from models.demos import validate_day, validate_future
from models.users import User
from views.callbacks import Flow, WhenChangeDay, WhenDay, WhenFold, WhenTime
from views.dates import (
    format_clock_with_offset,
    format_day,
    local_candidates,
    local_today,
    parse_time_input,
    read_when,
    unreadable_date_example,
)
from views.i18n import _, babel_locale

QUICK_DAYS = 8
QUICK_TIMES = (time(10), time(15), time(18), time(20, 30))

OnChosen = Callable[[Update, Context, User, datetime], Awaitable[object]]


class WhenSteps:
    def __init__(self, prefix: Flow, on_chosen: OnChosen) -> None:
        self.prefix = prefix
        self.DATE, self.TIME, self.CLARIFY = f"{prefix}_date", f"{prefix}_time", f"{prefix}_clarify"
        self._on_chosen = on_chosen

    def _draft(self, context: Context) -> dict:
        return context.user_data.setdefault(self.prefix, {})

    async def ask_date(self, update: Update, context: Context, me: User, question: str | None = None) -> str:
        today = local_today(context.clock.now(), me.timezone)
        days = [today + timedelta(days=n) for n in range(QUICK_DAYS)]
        buttons = [(format_day(day, lang=me.locale, tz=me.timezone), WhenDay(self.prefix, day)) for day in days]
        example = format_date(today + timedelta(days=10), "short", locale=babel_locale(me.locale, me.timezone))
        text = (
            (question or _("Which day?"))
            + "\n"
            + _("Choose below or type the date, for example {example}.").format(example=example)
        )
        await say(update, text, reply_markup=keyboard([buttons[i : i + 4] for i in range(0, len(buttons), 4)]))
        return self.DATE

    async def save_typed_date(self, update: Update, context: Context) -> object:
        """A typed day, or a day and a time at once ("domani alle 18"): either way the full date
        is shown back (the time question, then the flow's own confirmation) before anything is saved."""
        async with user_scope(update, context) as (_session, me):
            now = context.clock.now()
            today = local_today(now, me.timezone)
            try:
                typed = read_when(update.message.text, lang=me.locale, tz=me.timezone, now=now)
            except DomainError as error:
                if error.code == "date_unreadable":
                    example = unreadable_date_example(lang=me.locale, tz=me.timezone, today=today)
                    raise DomainError("date_unreadable", **example) from None
                raise
            if typed.at is None:
                return await self._date_chosen(update, context, me, typed.day, today)
            validate_day(typed.day, today)
            self._draft(context)["day"] = typed.day.isoformat()
        return await self._time_chosen(update, context, typed.at)

    async def save_picked_date(self, update: Update, context: Context) -> str:
        async with user_scope(update, context) as (_session, me):
            await ack(update)
            today = local_today(context.clock.now(), me.timezone)
            return await self._date_chosen(update, context, me, WhenDay.of(update).day, today)

    async def _date_chosen(self, update: Update, context: Context, me: User, day: date, today: date) -> str:
        validate_day(day, today)
        self._draft(context)["day"] = day.isoformat()
        rows = [
            [(at.strftime("%H:%M"), WhenTime(self.prefix, at)) for at in QUICK_TIMES],
            [(_("« Change day"), WhenChangeDay(self.prefix))],
        ]
        await say(
            update,
            _("{day}: at what time? Type it (for example 18:30) or choose.").format(
                day=format_date(day, "full", locale=babel_locale(me.locale, me.timezone))
            ),
            reply_markup=keyboard(rows),
        )
        return self.TIME

    async def back_to_day(self, update: Update, context: Context) -> str:
        async with user_scope(update, context) as (_session, me):
            await ack(update)
            return await self.ask_date(update, context, me)

    async def save_typed_time(self, update: Update, context: Context) -> object:
        return await self._time_chosen(update, context, parse_time_input(update.message.text))

    async def save_picked_time(self, update: Update, context: Context) -> object:
        await ack(update)
        return await self._time_chosen(update, context, WhenTime.of(update).at)

    async def _time_chosen(self, update: Update, context: Context, at: time) -> object:
        async with user_scope(update, context) as (_session, me):
            day = date.fromisoformat(self._draft(context)["day"])
            candidates = local_candidates(day, at, me.timezone)
            if not candidates:
                raise DomainError("time_gap", time=at.strftime("%H:%M"))
            if len(candidates) == 2:
                self._draft(context)["candidates"] = [c.isoformat() for c in candidates]
                rows = [
                    [(format_clock_with_offset(c, tz=me.timezone, lang=me.locale), WhenFold(self.prefix, i))]
                    for i, c in enumerate(candidates)
                ]
                await say(
                    update,
                    _("That night the clocks go back, so {time} happens twice. Which one do you mean?").format(
                        time=at.strftime("%H:%M")
                    ),
                    reply_markup=keyboard(rows),
                )
                return self.CLARIFY
            validate_future(candidates[0], context.clock.now())
        return await self._on_chosen(update, context, me, candidates[0])

    async def save_clarified(self, update: Update, context: Context) -> object:
        async with user_scope(update, context) as (_session, me):
            candidates = self._draft(context).get("candidates") or []
            index = WhenFold.of(update).fold
            if index >= len(candidates):
                raise DomainError("stale_button")
            starts_at = datetime.fromisoformat(candidates[index])
            validate_future(starts_at, context.clock.now())
            await ack(update)
        return await self._on_chosen(update, context, me, starts_at)

    def ours(self, kind: type[WhenDay | WhenTime | WhenChangeDay | WhenFold]) -> Callable[[object], bool]:
        """A button of this flow only: another flow's day or time is not an answer to this step."""
        return lambda data: (payload := kind.parse(data)) is not None and payload.flow == self.prefix

    def states(self) -> dict[str, list]:
        text = filters.TEXT & ~filters.COMMAND
        return {
            self.DATE: [
                CallbackQueryHandler(self.save_picked_date, pattern=self.ours(WhenDay)),
                MessageHandler(text, self.save_typed_date),
            ],
            self.TIME: [
                CallbackQueryHandler(self.save_picked_time, pattern=self.ours(WhenTime)),
                CallbackQueryHandler(self.back_to_day, pattern=self.ours(WhenChangeDay)),
                MessageHandler(text, self.save_typed_time),
            ],
            self.CLARIFY: [CallbackQueryHandler(self.save_clarified, pattern=self.ours(WhenFold))],
        }
