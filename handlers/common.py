"""What every flow needs: the sender behind an update, replies, and messages to other people.

A flow runs inside its update's boundary (bot.boundary): one transaction, the sender's row and
language already there. Replies are queued and go out after the commit; a message to anyone
else is an outbox row in the same transaction (`tell`), sent by the dispatcher.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.boundary import current_scope
from bot.boundary import sender_locale as _sender_locale
from bot.context import Context
from models import DomainError, notifications, users
from models.demos import Demo
from models.users import User
from views.i18n import _
from views.keyboards import keyboard  # noqa: F401  (re-exported for the flows)
from views.outgoing import Document


def sender_locale(update: Update, context: Context) -> str:
    """The language of someone not yet known to us: Telegram's, if we speak it."""
    return _sender_locale(update, context.settings)


@asynccontextmanager
async def user_scope(update: Update, context: Context) -> AsyncIterator[tuple[AsyncSession, User | None]]:
    """The update's transaction and the sender's user row (None for a stranger)."""
    scope = current_scope()
    if scope.user is None and update.effective_user is not None:
        # A flow may have just created the sender (a host opening their link, say).
        scope.user = await users.user_by_telegram_id(scope.session, update.effective_user.id)
    yield scope.session, scope.user


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
    await notifications.sync_demo_notifications(
        session, demo=demo, plan=context.settings.reminder_plan, now=context.clock.now()
    )
    current_scope().wrote_outbox = True


async def tell(context: Context, recipient: User | None, kind: str, **payload: object) -> None:
    """A message to someone other than the sender, about the change this update makes: an
    outbox row in the same transaction, rendered in the recipient's language when it is sent."""
    if recipient is None:
        return
    scope = current_scope()
    await notifications.tell(
        scope.session, recipient_id=recipient.id, kind=kind, payload=payload, now=context.clock.now()
    )
    scope.wrote_outbox = True


async def ack(update: Update, text: str | None = None, *, alert: bool = False) -> bool:
    """Answers the button press (sent after the commit, once per press)."""
    if update.callback_query is None:
        return False
    current_scope().replies.ack(text, alert=alert)
    return True


async def say(update: Update, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message to the sender, after the commit; a long one goes as several."""
    current_scope().replies.send(text, reply_markup)


async def answer_pre_checkout(update: Update, error: str | None = None) -> None:
    current_scope().replies.pre_checkout(error)


async def send_file(update: Update, document: Document) -> None:
    current_scope().replies.document(document)


async def answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool = False) -> None:
    """Reply where the user is: to their message, or in place of the pressed button's message."""
    replies = current_scope().replies
    if update.callback_query is not None:
        replies.ack()
        if edit:
            replies.edit(text, markup)
            return
    replies.send(text, markup)


async def cancel(update: Update, context: Context) -> int:
    """Leaves any flow: the draft answers are dropped, nothing is written."""
    async with user_scope(update, context):
        context.user_data.clear()
        await answer(update, _("Cancelled. Nothing was saved."))
    return ConversationHandler.END
