"""Inline keyboards from (label, payload) pairs; the payloads are declared in views.callbacks."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from views.payloads import Payload


def keyboard(rows: Sequence[Sequence[tuple[str, Payload]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=payload.encode()) for label, payload in row] for row in rows]
    )
