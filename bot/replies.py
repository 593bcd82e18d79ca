"""What the bot says back to the sender of an update: queued by the flows, sent by the
boundary once the change is committed (see bot.boundary)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError

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
            self._calls.append(
                lambda part=part, last=last: self._chat.send_message(part, reply_markup=markup if last else None)
            )

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
        self._calls.append(
            lambda: self._chat.send_document(InputFile(document.data, filename=document.filename), caption=caption)
        )

    def menu(self, commands: list[BotCommand]) -> None:
        chat_id = self._chat.id
        self._calls.append(lambda: self._chat.get_bot().set_my_commands(commands, scope=BotCommandScopeChat(chat_id)))

    def pre_checkout(self, error: str | None = None) -> None:
        """Answers Telegram Payments' last question before charging: yes, or no and why
        (https://core.telegram.org/bots/api#answerprecheckoutquery; within 10 seconds)."""
        query = self._update.pre_checkout_query
        if query is not None:
            self._calls.append(lambda: query.answer(ok=error is None, error_message=error))

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
