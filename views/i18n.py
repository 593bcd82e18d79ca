"""gettext catalogs per user, Babel locales for formatting.

The language of the current update (or job) lives in a context variable, set once where the
user is known; `_()` reads it. Strings are English in the code; catalogs translate them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SUPPORTED_LOCALES = ("it", "en")
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}

_current = contextvars.ContextVar("locale", default=SUPPORTED_LOCALES[0])
_current_tz = contextvars.ContextVar("timezone", default="Europe/Rome")


@cache
def translations(lang: str) -> Translations:
    return Translations.load(str(LOCALES_DIR), [lang], domain=DOMAIN)


def current_locale() -> str:
    return _current.get()


def set_locale(lang: str, timezone: str | None = None) -> None:
    _current.set(lang)
    if timezone:
        _current_tz.set(timezone)


def current_timezone() -> str:
    return _current_tz.get()


@contextmanager
def use_locale(lang: str) -> Iterator[None]:
    """Render text for someone else (a host, a reseller) in their language."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def use_timezone(timezone: str) -> Iterator[None]:
    token = _current_tz.set(timezone)
    try:
        yield
    finally:
        _current_tz.reset(token)


def _(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, where it is shown."""
    return message


def normalize_locale(language_code: str | None, default: str) -> str:
    """Telegram sends IETF tags such as 'it', 'en-GB' or 'pt-br'."""
    if language_code:
        lang = language_code.replace("_", "-").split("-")[0].lower()
        if lang in SUPPORTED_LOCALES:
            return lang
    return default


@cache
def babel_locale(lang: str, timezone: str) -> Locale:
    """Formats follow the language and the country of the timezone: English in Rome is en_IT
    (day before month), English in New York is en_US."""
    territory = get_global("zone_territories").get(timezone)
    if territory:
        try:
            return Locale.parse(f"{lang}_{territory}")
        except UnknownLocaleError:
            pass
    return Locale.parse(lang)
