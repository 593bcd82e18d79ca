"""Money is an integer count of the currency's minor unit (cents) plus its ISO code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

from models.base import DomainError


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


def is_currency(code: str) -> bool:
    return code in list_currencies()


def parse_amount(text: str, currency: str) -> int:
    """'1359', '1359.00' or '1.359,00' become 135900 for EUR. Anything finer than the
    currency's minor unit is refused rather than rounded."""
    cleaned = text.strip().replace(" ", "")
    if "," in cleaned and "." in cleaned:
        # The separator that comes last is the decimal one.
        cleaned = (
            cleaned.replace(".", "").replace(",", ".")
            if cleaned.rfind(",") > cleaned.rfind(".")
            else cleaned.replace(",", "")
        )
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError("amount_unreadable") from None
    if not value.is_finite():
        raise DomainError("amount_unreadable")
    minor = value.scaleb(minor_digits(currency))
    if minor != minor.to_integral_value():
        raise DomainError("amount_too_precise")
    return int(minor)


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def share_of(minor: int, basis_points: int) -> int:
    """minor × bp / 10,000 rounded toward zero: a commission never exceeds its rate's share."""
    value = abs(minor) * basis_points // 10_000
    return value if minor >= 0 else -value


def percent_of(minor: int, basis_points: int) -> int:
    """minor × bp / 10,000, rounded half up to the minor unit, in integers only."""
    return (minor * basis_points * 2 + 10_000) // 20_000
