"""What every flow needs: the user behind an update, buttons, and safe sends to other people."""

from __future__ import annotations

import logging
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ConversationHandler

from bot.context import Context
from views.i18n import _, normalize_locale, set_locale, use_locale
from views.keyboards import cb, keyboard  # noqa: F401  (re-exported for the flows)
from models import DomainError, notifications, users
from models.demos import Demo
from models.users import User

log = logging.getLogger(__name__)

def cb_id(update: Update) -> int:
    """The object id at the end of a button's data ('demo:view:12' -> 12)."""
    return int(update.callback_query.data.rsplit(":", 1)[1])


def cb_arg(update: Update) -> str:
    return update.callback_query.data.rsplit(":", 1)[1]


_acknowledged: OrderedDict[str, None] = OrderedDict()  # recent button presses already answered


async def ack(update: Update, text: str | None = None, *, alert: bool = False) -> bool:
    """Answers a button press once (Telegram refuses a second answer); False if it was done."""
    query = update.callback_query
    if query is None or query.id in _acknowledged:
        return False
    _acknowledged[query.id] = None
    if len(_acknowledged) > 10_000:
        _acknowledged.popitem(last=False)
    await query.answer(text, show_alert=alert)
    return True


def sender_locale(update: Update, context: Context) -> str:
    """The language of someone not yet known to us: Telegram's, if we speak it."""
    return normalize_locale(update.effective_user.language_code, context.settings.default_locale)


@asynccontextmanager
async def user_scope(update: Update, context: Context) -> AsyncIterator[tuple[AsyncSession, User | None]]:
    """One transaction for the update, with the sender's user row (None for a stranger) and
    their language set for every `_()` that follows."""
    sender = update.effective_user
    async with context.db.session_scope() as session:
        me = await users.user_by_telegram_id(session, sender.id)
        if me is not None and me.unreachable_at is not None:
            me.unreachable_at = None  # they wrote to us, so they have unblocked the bot
        set_locale(me.locale if me else sender_locale(update, context),
                   me.timezone if me else context.settings.default_timezone)
        yield session, me


@asynccontextmanager
async def seller_scope(update: Update, context: Context) -> AsyncIterator[tuple[AsyncSession, User]]:
    """As user_scope, for commands only the sales force may use."""
    async with user_scope(update, context) as (session, me):
        if me is None or not me.is_seller:
            raise DomainError("not_a_seller")
        if not me.onboarded:
            raise DomainError("finish_onboarding")
        yield session, me


async def replan(session: AsyncSession, context: Context, demo: Demo) -> None:
    """Brings the demo's reminders and follow-ups in line with it, in the same transaction."""
    await notifications.sync_demo_notifications(session, demo=demo, plan=context.settings.reminder_plan, now=context.clock.now())


async def answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool = False) -> None:
    """Reply where the user is: to their message, or in place of the pressed button's message."""
    query = update.callback_query
    if query is not None:
        await ack(update)
        if edit:
            await query.edit_message_text(text, reply_markup=markup)
            return
    await update.effective_chat.send_message(text, reply_markup=markup)


async def notify(context: Context, user: User, render, **kwargs) -> bool:
    """Tells another person something, in their language. A person who blocked the bot must not
    break the action of the one who caused the message, so failures are logged, not raised."""
    with use_locale(user.locale):
        text, markup = render()
    try:
        await context.bot.send_message(user.telegram_id, text, reply_markup=markup, **kwargs)
        return True
    except Forbidden:
        log.info("user %s has blocked the bot; message not delivered", user.id)
    except TelegramError:
        log.exception("could not notify user %s", user.id)
    return False


async def cancel(update: Update, context: Context) -> int:
    """Leaves any flow: the draft answers are dropped, nothing is written."""
    async with user_scope(update, context) as (_session, me):
        context.user_data.clear()
        await update.effective_chat.send_message(_("Cancelled. Nothing was saved."))
    return ConversationHandler.END
