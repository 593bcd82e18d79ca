"""Reading dates, times and durations as people type them, and showing them back.

Input follows the user's locale (day before month in Italy, month first in the US); times are
wall-clock times in the user's timezone, which on DST days may not exist or may happen twice.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, format_timedelta, get_date_format

from models.base import DomainError
from views.i18n import N_, _, babel_locale, formatting_locale, ngettext, use_locale

UTC = UTC
RELATIVE_DAYS = ((N_("today"), 0), (N_("tomorrow"), 1), (N_("day after tomorrow"), 2))


def local_candidates(day: date, at: time, tz: str) -> list[datetime]:
    """The UTC instants that a wall-clock time names: none in a DST gap, two in a fold."""
    zone = ZoneInfo(tz)
    found = []
    for fold in (0, 1):
        local = datetime.combine(day, at, tzinfo=zone).replace(fold=fold)
        instant = local.astimezone(UTC)
        # A time in the gap does not survive the round trip back to local time.
        back = instant.astimezone(zone)
        if back.replace(tzinfo=None) == local.replace(tzinfo=None) and instant not in found:
            found.append(instant)
    return sorted(found)


def _order(locale) -> str:
    """'dmy', 'mdy' or 'ymd' from the locale's own short date pattern."""
    pattern = get_date_format("short", locale=locale).pattern
    positions = {key: pattern.find(key) for key in "dMy"}
    return "".join(sorted("dmy", key=lambda k: positions["M" if k == "m" else k]))


def _month_names(locale) -> dict[str, int]:
    names: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in locale.months[context][width].items():
                names[name.casefold().rstrip(".")] = number
    return names


def _plain(text: str) -> str:
    """Case and accents folded, so 'Lunedi' matches 'lunedì'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold().strip()) if not unicodedata.combining(c))


def _relative_day(text: str, *, lang: str, locale, today: date) -> date | None:
    """'tomorrow', 'domani', 'saturday', 'sab': the words people use for the coming days."""
    word = _plain(text).rstrip(".")
    with use_locale(lang):
        offsets = {_plain(_(name)): offset for name, offset in RELATIVE_DAYS}
    offsets.update({_plain(name): offset for name, offset in RELATIVE_DAYS})
    if word in offsets:
        return today + timedelta(days=offsets[word])
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for weekday, name in locale.days[context][width].items():
                if _plain(name).rstrip(".") == word:
                    # Saturday said on a Saturday means next week's.
                    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return None


def parse_date_input(text: str, *, lang: str, tz: str, today: date) -> date:
    locale = babel_locale(lang, tz)
    relative = _relative_day(text, lang=lang, locale=locale, today=today)
    if relative is not None:
        return relative
    words = re.findall(r"[^\W\d_]+\.?|\d+", text.casefold())
    numbers = [w for w in words if w.isdigit()]
    months = _month_names(locale)
    named = [months[w.rstrip(".")] for w in words if not w.isdigit() and w.rstrip(".") in months]
    if len(words) != len(numbers) + len(named):
        raise DomainError("date_unreadable")
    if named and len(named) == 1 and 1 <= len(numbers) <= 2:
        day, month = int(numbers[0]), named[0]
        year = numbers[1] if len(numbers) == 2 else None
    elif not named and len(numbers) in (2, 3):
        if len(numbers[0]) == 4:  # ISO, 2026-12-25
            order = "ymd"
        else:
            order = _order(locale).replace("y", "") + ("y" if len(numbers) == 3 else "")
        parts = dict(zip(order, numbers, strict=False))
        day, month, year = int(parts["d"]), int(parts["m"]), parts.get("y")
    else:
        raise DomainError("date_unreadable")
    return _build_date(day, month, year, today)


def _build_date(day: int, month: int, year: str | None, today: date) -> date:
    if year is None:
        candidate_year = today.year
    else:
        candidate_year = int(year) + (2000 if len(year) <= 2 else 0)
    if not 1 <= month <= 12:
        raise DomainError("date_impossible")
    try:
        result = date(candidate_year, month, day)
    except ValueError:
        raise DomainError("date_impossible") from None
    if year is None and result < today:
        # "10/01" typed in November means next January.
        try:
            result = date(candidate_year + 1, month, day)
        except ValueError:  # 29/02 in a year without it
            raise DomainError("date_impossible") from None
    return result


_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_time_input(text: str) -> time:
    match = _TIME.match(text.strip().casefold())
    if not match:
        raise DomainError("time_unreadable")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise DomainError("time_unreadable")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise DomainError("time_unreadable")
    return time(hour, minute)


_DURATION_HM = re.compile(r"^(\d{1,2})\s*(?::|h|ore|ora|hours?)\s*(\d{2})\s*(?:m|min)?$")
_DURATION_DECIMAL = re.compile(r"^(\d{1,2})[.,](\d)\s*(?:h|ore|ora|hours?)?$")
_DURATION_NUMBER = re.compile(r"^(\d{1,4})\s*(h|ore|ora|hours?|m|min|minuti|minutes?)?$")


def parse_duration_input(text: str) -> int:
    """Minutes from '2', '2h', '1,5', '1:30', '90 min'. A bare number up to 12 means hours."""
    value = text.strip().casefold()
    if match := _DURATION_HM.match(value):
        return int(match.group(1)) * 60 + int(match.group(2))
    if match := _DURATION_DECIMAL.match(value):
        return int(match.group(1)) * 60 + int(match.group(2)) * 6
    if match := _DURATION_NUMBER.match(value):
        number, unit = int(match.group(1)), match.group(2) or ""
        if unit.startswith("m") or (not unit and number > 12):
            return number
        return number * 60
    raise DomainError("duration_unreadable")


def to_local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz))


def format_when(instant: datetime, *, tz: str, lang: str) -> str:
    """'Monday, 30 November 2026 at 18:30' in the viewer's language and the given timezone."""
    locale = formatting_locale(lang)
    local = to_local(instant, tz)
    with use_locale(lang):  # the connecting word in the same language as the date
        return _("{date} at {time}").format(
            date=format_date(local, "full", locale=locale),
            time=format_time(local, "short", locale=locale),
        )


def format_clock(instant: datetime, *, tz: str, lang: str) -> str:
    """The wall-clock time in `tz`, written the way the reader's language writes it."""
    return format_time(to_local(instant, tz), "short", locale=formatting_locale(lang))


def format_day(day: date, *, lang: str, tz: str) -> str:
    """Short label for a quick-pick button: 'lun 30 nov', 'Mon, Nov 30', 'Mo., 30. Nov.'."""
    return format_skeleton("MMMEd", day, locale=formatting_locale(lang))


def format_clock_with_offset(instant: datetime, *, tz: str, lang: str) -> str:
    """'02:30 (GMT+02:00)' — tells apart the two 02:30 of the night clocks go back."""
    locale = formatting_locale(lang)
    local = to_local(instant, tz)
    return "{} ({})".format(format_time(local, "short", locale=locale), format_time(local, "ZZZZ", locale=locale))


def format_full_day(day: date, *, lang: str) -> str:
    """'Tuesday, April 8, 2026', 'martedì 8 aprile 2026': starting with the weekday, a sentence needs
    no article before it ("fino a martedì 8 aprile", never "fino al/all'8")."""
    return format_date(day, "full", locale=formatting_locale(lang))


def format_days(days: int, *, lang: str) -> str:
    """'90 days', '1 giorno': a number of days, with the plural its count needs."""
    with use_locale(lang):
        return ngettext("{count} day", "{count} days", days).format(count=days)


def format_duration(minutes: int, *, lang: str) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    return format_timedelta(timedelta(minutes=minutes), threshold=1, locale=lang)


def local_today(now: datetime, tz: str) -> date:
    return to_local(now, tz).date()


def period_starts(now: datetime, tz: str) -> dict[str, tuple[datetime, datetime]]:
    """Today, this week (from Monday) and this month, in the reseller's own calendar."""
    zone = ZoneInfo(tz)
    today = to_local(now, tz).date()
    midnight = lambda day: datetime(day.year, day.month, day.day, tzinfo=zone)  # noqa: E731
    end = midnight(today + timedelta(days=1))
    return {
        "today": (midnight(today), end),
        "week": (midnight(today - timedelta(days=today.weekday())), end),
        "month": (midnight(today.replace(day=1)), end),
    }
