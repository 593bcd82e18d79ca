"""Money shown the way the reader writes it: 1.549,00 € in Italian, €1,549.00 in English, wherever they live.

`tz` is kept in the signatures so callers pass the whole reader; it does not change the writing."""

from decimal import Decimal

from babel.numbers import format_currency, format_percent

from models.money import to_decimal
from views.i18n import formatting_locale


def format_money(minor: int, currency: str, *, lang: str, tz: str) -> str:
    return format_currency(to_decimal(minor, currency), currency, locale=formatting_locale(lang))


def money_for(minor: int, currency: str, reader) -> str:
    """An amount the way this reader (a User: language and timezone) writes it."""
    return format_money(minor, currency, lang=reader.locale, tz=reader.timezone)


def format_rate(basis_points: int, *, lang: str, tz: str) -> str:
    return format_percent(Decimal(basis_points) / 10_000, locale=formatting_locale(lang), decimal_quantization=False)
