"""What the bot sends, as data, within Telegram's limits: the one place where long content pages.

Telegram refuses a message over 4,096 characters and a caption over 1,024, counted in UTF-16
code units (https://core.telegram.org/bots/api#sendmessage); a text longer than that is split
at line breaks into several messages, the keyboard going with the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import BotCommand, InlineKeyboardMarkup

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Document:
    """A file to send: its bytes, its name and the caption under it."""

    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class Invoice:
    """A Telegram Payments invoice (https://core.telegram.org/bots/api#sendinvoice): prices in
    minor units; the provider token is added by the sender, from the settings."""

    title: str  # 1-32 characters
    description: str  # 1-255 characters
    payload: str  # 1-128 bytes, never shown: says which order is paid
    currency: str
    prices: list[tuple[str, int]]


@dataclass
class Outgoing:
    """A message to someone: a chart first if any, then the text, then a file."""

    text: str = ""
    markup: InlineKeyboardMarkup | None = None
    photo: bytes | None = None
    photo_key: str | None = None  # what the photo was drawn from (views.charts.chart_key): to keep it
    document: Document | None = None
    extra: list[Document] = field(default_factory=list)
    commands: list[BotCommand] | None = None  # the person's command menu, set in their chat
    invoice: Invoice | None = None  # sent last, when payments are configured


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts as two."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text as one or more messages of at most `limit`, cut at line breaks where possible."""
    if telegram_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _fit(line, limit):
            candidate = piece if not current else current + "\n" + piece
            if telegram_length(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _fit(line: str, limit: int) -> list[str]:
    """A single line longer than the limit is cut (rare: a pasted wall of text)."""
    pieces = []
    while telegram_length(line) > limit:
        cut = limit
        while telegram_length(line[:cut]) > limit:
            cut -= 1
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def shorten(text: str, limit: int) -> str:
    """For a caption or an alert: the text, or its start and an ellipsis."""
    if telegram_length(text) <= limit:
        return text
    cut = limit - 1
    while telegram_length(text[:cut]) > limit - 1:
        cut -= 1
    return text[:cut] + "…"
