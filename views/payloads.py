"""Typed button data: the `Payload` base that views.callbacks declares every button with.

A payload is a frozen dataclass with a class-level prefix; it travels as `prefix:field:field`.
Telegram hands the data of a pressed button back as a plain string that anyone can forge
(https://core.telegram.org/bots/api#callbackquery), so `parse` accepts only what `encode` could
have produced and answers None for anything else, without raising: a forged or outdated button
then matches no handler and gets the catch-all "no longer active" answer.

Field types: `int` (an id: 1 to 2**31-1), `PageNumber` (0 up), `str` (letters, digits and `_./+-`,
never ":"), `SearchText` (any words, a few dozen bytes, as base64url), `bool`, `date`, `time` (as
HHMM), a `Literal[...]` or an `Enum` choice.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self, dataclass_transform

from telegram import Update

from models import DomainError

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for callback_data
# Ids are INTEGER columns: PostgreSQL refuses a larger number in a lookup (an error, not a miss).
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class AtLeast:
    """The smallest value an int field takes: ids start at 1, page numbers at 0."""

    minimum: int


@dataclass(frozen=True)
class Utf8:
    """Free text of at most `max_bytes` bytes of UTF-8 (the words of a search), carried as
    unpadded base64url so that spaces, accents and ":" travel."""

    max_bytes: int


PageNumber = Annotated[int, AtLeast(0)]
SearchText = Annotated[str, Utf8(30)]  # 40 characters of data: room left for a prefix and a page


def clip_utf8(text: str, max_bytes: int) -> str:
    """The start of the text that fits in `max_bytes` of UTF-8, cut between characters."""
    return text.encode()[:max_bytes].decode(errors="ignore")


@dataclass(frozen=True)
class Codec:
    """How one field travels: `decode` raises ValueError on anything `encode` would not write."""

    encode: Callable[[Any], str]
    decode: Callable[[str], Any]


def _int_codec(minimum: int) -> Codec:
    def decode(text: str) -> int:
        # Canonical digits only: no sign, no leading zero, no "1e3", no non-ASCII digits.
        if not re.fullmatch(r"0|[1-9][0-9]{0,9}", text) or not minimum <= int(text) <= INT_MAX:
            raise ValueError(text)
        return int(text)

    return Codec(str, decode)


def _text_codec(max_bytes: int) -> Codec:
    def encode(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    def decode(data: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", data):
            raise ValueError(data)
        try:
            text = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError(data) from None
        if not text or len(text.encode()) > max_bytes or encode(text) != data:  # one spelling per text
            raise ValueError(data)
        return text

    return Codec(encode, decode)


def _checked(pattern: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def decode(text: str) -> Any:
        if not re.fullmatch(pattern, text):
            raise ValueError(text)
        return convert(text)

    return decode


def _choice_codec(choices: dict[str, Any]) -> Codec:
    def encode(value: Any) -> str:
        for text, choice in choices.items():
            if choice == value:
                return text
        raise ValueError(f"{value!r} is not one of {list(choices)}")

    def decode(text: str) -> Any:
        if text not in choices:
            raise ValueError(text)
        return choices[text]

    return Codec(encode, decode)


CODECS: dict[object, Codec] = {
    str: Codec(str, _checked(r"[A-Za-z0-9_./+-]+", str)),
    bool: Codec(lambda flag: "1" if flag else "0", _checked(r"[01]", lambda text: text == "1")),
    date: Codec(
        date.isoformat, _checked(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", date.fromisoformat)
    ),  # a day that does not exist raises
    time: Codec(lambda at: at.strftime("%H%M"), _checked(r"[0-9]{4}", lambda text: time(int(text[:2]), int(text[2:])))),
}


def codec_for(hint: Any) -> Codec:
    if typing.get_origin(hint) is Annotated:
        base, *extras = typing.get_args(hint)
        text = next((extra for extra in extras if isinstance(extra, Utf8)), None)
        if text is not None and base is str:
            return _text_codec(text.max_bytes)
        minimum = next(extra.minimum for extra in extras if isinstance(extra, AtLeast))
        if base is not int:
            raise TypeError(f"AtLeast applies to int fields, not {base!r}")
        return _int_codec(minimum)
    if hint is int:
        return _int_codec(1)
    if typing.get_origin(hint) is Literal:
        return _choice_codec({str(choice): choice for choice in typing.get_args(hint)})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _choice_codec({str(member.value): member for member in hint})
    if hint in CODECS:
        return CODECS[hint]
    raise TypeError(f"no button encoding for {hint!r}")


@dataclass_transform(frozen_default=True)
class Payload:
    """One button's data. Subclasses name their prefix and list their fields:

    class DemoView(Payload, prefix="demo:view"):
        demo_id: int
    """

    prefix: ClassVar[str]
    registry: ClassVar[dict[str, type[Payload]]] = {}

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not re.fullmatch(r"[a-z]+(:[a-z]+)*", prefix) or prefix in Payload.registry:
            raise TypeError(f"button prefix {prefix!r} is malformed or taken")
        cls.prefix = prefix
        Payload.registry[prefix] = cls
        dataclass(frozen=True)(cls)

    def __post_init__(self) -> None:
        self.encode()  # a payload that could not travel is refused when it is built

    @classmethod
    @cache
    def _codecs(cls) -> tuple[tuple[str, Codec], ...]:
        hints = typing.get_type_hints(cls, include_extras=True)
        return tuple((name, codec_for(hints[name])) for name in cls.__dataclass_fields__)

    def encode(self) -> str:
        parts = [self.prefix]
        for name, codec in self._codecs():
            value = getattr(self, name)
            text = codec.encode(value)
            decoded = codec.decode(text)
            if decoded != value or type(decoded) is not type(value):
                raise ValueError(f"{type(self).__name__}.{name} cannot travel as {value!r}")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: object) -> Self | None:
        """The payload this data encodes, or None if it is not exactly one of ours."""
        if not isinstance(data, str) or len(data.encode()) > CALLBACK_DATA_LIMIT:
            return None
        prefix, parts, codecs = cls.prefix.split(":"), data.split(":"), cls._codecs()
        if parts[: len(prefix)] != prefix or len(parts) != len(prefix) + len(codecs):
            return None
        texts = parts[len(prefix) :]
        try:
            return cls(**{name: codec.decode(text) for (name, codec), text in zip(codecs, texts, strict=True)})
        except ValueError:
            return None

    @classmethod
    def matches(cls, data: object) -> bool:
        """For CallbackQueryHandler(pattern=...): PTB calls it with the pressed button's data."""
        return cls.parse(data) is not None

    @classmethod
    def of(cls, update: Update) -> Self:
        """The payload of the pressed button (its handler's pattern has already checked it)."""
        payload = cls.parse(update.callback_query.data if update.callback_query else None)
        if payload is None:
            raise DomainError("stale_button")
        return payload
