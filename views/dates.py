"""Reading dates, times and durations as people type them, and showing them back.

Input is read by dateparser in the user's language and their locale's day/month order (day
before month in Italy, month first in the US), relative to their own "now"; times are wall-clock
times in the user's timezone, which on DST days may not exist or may happen twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, format_timedelta, get_date_format
from dateparser import DateDataParser  # type: ignore[import-untyped]
from dateparser.conf import Settings  # type: ignore[import-untyped]
from dateparser.conf import settings as dateparser_settings  # type: ignore[import-untyped]

from models.base import DomainError
from views.i18n import _, babel_locale, formatting_locale, ngettext, use_locale

# The languages whose words dateparser reads; each user's own comes first, then English.
DATE_LANGUAGES = ("it", "en", "de", "es", "fr")


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
    """'DMY', 'MDY' or 'YMD' from the locale's own short date pattern (dateparser's DATE_ORDER)."""
    pattern = get_date_format("short", locale=locale).pattern
    positions = {key: pattern.find(key) for key in "dMy"}
    return "".join(sorted("DMY", key=lambda k: positions["M" if k == "M" else k.lower()]))


def _plain(text: str) -> str:
    """Case and accents folded, so 'Lunedi' matches 'lunedì'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold().strip()) if not unicodedata.combining(c))


# dateparser reads "18:00" after a day in every language, but not the hour as people say it:
# "alle 18", "um 18 Uhr", "a las 18", "at 18" (it takes the 18 for a day of the month).
_SAID_HOUR = re.compile(
    r"(?:\b(?:alle(?:\s+ore)?|all'|ore|at|um|a\s+las?|a)\s+(\d{1,2})(?:[:.h](\d{2}))?(?:\s*(?:uhr|h|ore)\b)?"
    r"|\b(\d{1,2})\s*(?:uhr|h|ore)\b)(?![\d/.\-:]|\s*[ap]\.?m)"
)
# Words dateparser's data lacks in some of our languages, and that add nothing to a weekday
# read as the next one (PREFER_DATES_FROM='future').
_DAY_AFTER_TOMORROW = ("dopodomani", "pasado manana", "day after tomorrow", "ubermorgen", "apres-demain")
_NEXT = re.compile(r"\b(?:prossim[oa]|next|nachste[nr]?|kommende[nr]?|el\s+proximo|proxim[oa]|prochaine?)\b")
_NUMERIC_DATE = re.compile(r"^\s*\d{1,4}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{1,4})?\s*$")


def _said_hour(match: re.Match) -> str:
    hour, minute = int(match.group(1) or match.group(3)), int(match.group(2) or 0)
    return f" {hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else match.group(0)


def _prepare(text: str, today: date) -> str:
    plain = _plain(text)
    for words in _DAY_AFTER_TOMORROW:
        plain = plain.replace(words, (today + timedelta(days=2)).isoformat())
    plain = _NEXT.sub(" ", plain)
    return " ".join(_SAID_HOUR.sub(_said_hour, plain).split())


@cache
def _settings(order: str) -> Settings:
    """Built once per date order: what each update adds is only its own "now"."""
    wanted = {
        "DATE_ORDER": order,
        "STRICT_DATE_ORDER": "all",  # "12/13" in Italy is a slip, not the 13th of December
        "PREFER_DATES_FROM": "future",
        "RETURN_TIME_AS_PERIOD": True,
    }
    return dateparser_settings.replace(mod_settings=wanted, **wanted)


def _languages(lang: str) -> tuple[str, ...]:
    # English words work in any language ("tomorrow"); the reader's own language comes first.
    return (lang,) if lang == "en" or lang not in DATE_LANGUAGES else (lang, "en")


@dataclass(frozen=True)
class TypedWhen:
    """A day as typed, and the time when the text has one ("domani alle 18")."""

    day: date
    at: time | None = None


def read_when(text: str, *, lang: str, tz: str, now: datetime) -> TypedWhen:
    """What a person typed for a day (and maybe a time), read in their language and their
    locale's day/month order, relative to their own "now"; a past reading of a date without a
    year means next year's."""
    locale = babel_locale(lang, tz)
    local_now = to_local(now, tz).replace(tzinfo=None)
    parser = DateDataParser(
        languages=list(_languages(lang)),
        use_given_order=True,
        settings=_settings(_order(locale)).replace(RELATIVE_BASE=local_now),
    )
    reading = parser.get_date_data(_prepare(text, local_now.date()))
    if reading.date_obj is None or not {"day", "month"} <= set(reading.parts):
        raise DomainError("date_impossible" if _NUMERIC_DATE.match(text) else "date_unreadable")
    found = reading.date_obj
    if found.tzinfo is not None:  # "18:30 CET": the instant, in the user's own clock
        found = found.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    _check_weekday(text, found.date(), locale)
    return TypedWhen(found.date(), found.time() if "time" in reading.parts else None)


def _check_weekday(text: str, day: date, locale) -> None:
    """ "sabato 30 marzo" when the 30th is a Sunday: one of the two is a slip, so ask."""
    words = set(re.findall(r"[^\W\d_]+", _plain(text)))
    # "mar" is Tuesday and March in Italian and Spanish: a month name is never taken for a weekday.
    words -= {
        _plain(name).rstrip(".")
        for width in ("wide", "abbreviated")
        for name in locale.months["format"][width].values()
    }
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for weekday, name in locale.days[context][width].items():
                if _plain(name).rstrip(".") in words and weekday != day.weekday():
                    raise DomainError(
                        "date_weekday_mismatch",
                        date=format_date(day, "full", locale=locale),
                        weekday=locale.days["format"]["wide"][weekday],
                    )


def warm_up() -> None:
    """dateparser loads each language's data on its first parse (about 0.6 s for the first,
    30-60 ms for each next one): done once at start-up so that no user waits for it."""
    for lang in DATE_LANGUAGES:
        read_when("29/03", lang=lang, tz="Europe/Rome", now=datetime(2031, 3, 20, tzinfo=UTC))


def unreadable_date_example(*, lang: str, tz: str, today: date) -> dict[str, str]:
    """Two things the reader could type, in their own language: a date and a relative day."""
    locale = babel_locale(lang, tz)
    return {
        "example": format_date(
            today + timedelta(days=10), "EEEE MMMM d" if _order(locale)[0] == "M" else "EEEE d MMMM", locale=locale
        ),
        "relative": _("tomorrow at 18:00"),
    }


_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_time_input(text: str) -> time:
    """'18:30', '18.30', '6 pm', and the hour as people say it: 'alle 18', '18 Uhr', 'à 18h'."""
    match = _TIME.match(_SAID_HOUR.sub(_said_hour, _plain(text)).strip())
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
