"""Domain errors become a clear message in the user's language; nothing else is changed
(the transaction was rolled back, and the conversation stays at the step it was at)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import Context
from handlers.common import ack
from models import DomainError
from views.errors import error_text
from views.i18n import _

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, DomainError):
        text = error_text(error)
    else:
        log.error("error while handling an update", exc_info=error)
        text = _("Sorry, something went wrong on our side. Nothing was saved; please try again.")
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None and await ack(update, text[:200], alert=True):
            return
        await update.effective_chat.send_message(text)  # the press was answered already: say it here
    except TelegramError:
        log.exception("could not tell the user about an error")
