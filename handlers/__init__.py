"""Every handler, registered in one place.

Order matters within the group: PTB gives an update to the first handler that accepts it.
0. Groups -2 and -1 answer edited messages and group chats before the flows see them (one
   handler runs per group, so each check has a group of its own).
1. Conversations first, so that a user in the middle of a flow has their typed answers go to
   that flow. A conversation only accepts messages meant for its current step, so commands
   such as /demos still reach their own handlers mid-flow.
2. Plain commands and buttons.
3. Catch-alls last: a button whose flow is over, or text that no step is waiting for, gets a
   short answer instead of silence.
"""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.boundary import reads_only
from bot.context import Context
from handlers import (
    attendees,
    demo_booking,
    demos,
    host,
    onboarding,
    order_changes,
    orders,
    party_close,
    payments,
    privacy,
    reports,
    shop,
    shop_answers,
    team,
)
from handlers.common import cancel, say, user_scope
from models import DomainError
from views.i18n import _


@reads_only
async def private_only(update: Update, context: Context) -> None:
    """HomeDemo talks one to one: demos, links and figures are private. In a group it says so
    (to a message meant for it: Telegram's privacy mode passes only commands and mentions)."""
    chat = update.effective_chat
    if chat is None or chat.type == "private":
        return
    if update.message is not None:
        await say(
            update,
            _(
                "I work in private chat only, where your demos and figures stay private. Write to me directly: @{bot}"
            ).format(bot=context.bot.username),
        )
    raise ApplicationHandlerStop


@reads_only
async def edited_message(update: Update, context: Context) -> None:
    """An edit does not change an answer already given: say so, rather than act on it twice."""
    await say(
        update,
        _(
            "I saw that you edited a message. Edits do not change what was already saved: "
            "please send the correction as a new message."
        ),
    )
    raise ApplicationHandlerStop


@reads_only
async def stale_button(update: Update, context: Context) -> None:
    async with user_scope(update, context):
        raise DomainError("stale_button")


@reads_only
async def unknown_text(update: Update, context: Context) -> None:
    async with user_scope(update, context):
        await say(update, _("I'm not sure what you mean. Send /help to see what I can do."))


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, private_only), group=-1)
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, edited_message), group=-2)
    with warnings.catch_warnings():
        # Our conversations are per user, not per message: a button belongs to the user's
        # current step wherever it was pressed. PTB warns about that setting; it is deliberate.
        warnings.filterwarnings("ignore", message=r"If 'per_message=False'", category=PTBUserWarning)
        # attendees and shop first: their conversations take /start with a guest or shop link
        # before onboarding's /start.
        flows = [
            *attendees.handlers(),
            *shop.handlers(),
            *shop_answers.handlers(),
            *payments.handlers(),
            *onboarding.handlers(),
            *demo_booking.handlers(),
            *demos.handlers(),
            *host.handlers(),
            *orders.handlers(),
            *order_changes.handlers(),
            *reports.handlers(),
            *party_close.handlers(),
            *team.handlers(),
            *privacy.handlers(),
        ]
    for handler in [
        *flows,
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(stale_button),
        MessageHandler(private & filters.TEXT, unknown_text),
    ]:
        application.add_handler(handler)
