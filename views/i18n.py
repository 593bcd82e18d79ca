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
SUPPORTED_LOCALES = ("it", "en", "de", "es", "fr")
# Each language in its own words, as /settings offers them.
LANGUAGE_NAMES = {"it": "Italiano", "en": "English", "de": "Deutsch", "es": "Español", "fr": "Français"}
# Someone whose Telegram speaks a language we have no catalog for (pt, nl, pl...) reads English,
# the lingua franca, rather than the default locale chosen for the bot's home market.
FALLBACK_LOCALE = "en"

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
    """Telegram sends IETF tags such as 'it', 'de-AT', 'es-MX' or 'pt-br': the language part picks the
    catalog ('de-AT' reads German); a language without a catalog reads English; no tag at all (a
    client that sends none) reads the bot's default."""
    if not language_code or not language_code.strip():
        return default
    lang = language_code.strip().replace("_", "-").split("-")[0].lower()
    return lang if lang in SUPPORTED_LOCALES else FALLBACK_LOCALE


# The English we write is Europe's: day before month and a 24-hour clock, "€3,098.00" (British
# conventions), for a reader in Rome, London or New York alike.
FORMAT_LOCALES = {"en": "en_GB"}


@cache
def formatting_locale(lang: str) -> Locale:
    """Numbers, money, dates, weekday and month names follow the reader's language only: an English
    guest in Rome reads "€3,098.00" (the timezone says which clock, never how it is written)."""
    return Locale.parse(FORMAT_LOCALES.get(lang, lang))


@cache
def babel_locale(lang: str, timezone: str) -> Locale:
    """The language with the country of the timezone: English in Rome is en_IT, English in New York
    en_US. Used for what the reader *types* (day/month order of dates, a phone number's country),
    never to format what they read: that is `formatting_locale`."""
    territory = get_global("zone_territories").get(timezone)
    if territory:
        try:
            return Locale.parse(f"{lang}_{territory}")
        except UnknownLocaleError:
            pass
    return Locale.parse(lang)
