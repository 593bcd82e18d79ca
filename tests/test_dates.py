"""Reading what people type as dates, times, durations and places; DST edges included."""

from datetime import UTC, date, datetime, time

import pytest

from models import DomainError
from views.dates import (
    TypedWhen,
    format_when,
    local_candidates,
    parse_duration_input,
    parse_time_input,
    read_when,
    unreadable_date_example,
)
from views.i18n import SUPPORTED_LOCALES, use_locale
from views.timezones import find_timezones

TODAY = date(2031, 3, 20)  # a Thursday
NOW = datetime(2031, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 in Rome


def read(text, lang="it", tz="Europe/Rome", now=NOW):
    return read_when(text, lang=lang, tz=tz, now=now)


@pytest.mark.parametrize(
    ("text", "lang", "tz", "expected"),
    [
        ("25/03/2031", "it", "Europe/Rome", date(2031, 3, 25)),
        ("25.3.31", "it", "Europe/Rome", date(2031, 3, 25)),
        ("25/3", "it", "Europe/Rome", date(2031, 3, 25)),
        ("10/01", "it", "Europe/Rome", date(2032, 1, 10)),  # January has passed: next year
        ("25 marzo", "it", "Europe/Rome", date(2031, 3, 25)),
        ("sabato 29 marzo", "it", "Europe/Rome", date(2031, 3, 29)),
        ("sat 29/03", "en", "Europe/Rome", date(2031, 3, 29)),
        ("next saturday", "en", "Europe/London", date(2031, 3, 22)),
        ("sabato prossimo", "it", "Europe/Rome", date(2031, 3, 22)),
        ("sábado 29 de marzo", "es", "Europe/Madrid", date(2031, 3, 29)),
        ("el próximo sábado", "es", "Europe/Madrid", date(2031, 3, 22)),
        ("samedi 29 mars", "fr", "Europe/Paris", date(2031, 3, 29)),
        ("samedi prochain", "fr", "Europe/Paris", date(2031, 3, 22)),
        ("Samstag, 29. März", "de", "Europe/Berlin", date(2031, 3, 29)),
        ("nächsten Samstag", "de", "Europe/Berlin", date(2031, 3, 22)),
        ("3/25/2031", "en", "America/New_York", date(2031, 3, 25)),  # month first in the US
        ("03/04/2031", "en", "America/New_York", date(2031, 3, 4)),
        ("03/04/2031", "en", "Europe/Rome", date(2031, 4, 3)),  # English in Italy: day first
        ("03/04", "it", "Europe/Rome", date(2031, 4, 3)),  # ambiguous: the reader's locale decides
        ("03/04", "en", "America/New_York", date(2032, 3, 4)),  # 4 March has passed: next year's
        ("March 25", "en", "Europe/London", date(2031, 3, 25)),
        ("2031-12-01", "en", "Europe/Rome", date(2031, 12, 1)),
        ("domani", "it", "Europe/Rome", date(2031, 3, 21)),
        ("Dopodomani", "it", "Europe/Rome", date(2031, 3, 22)),
        ("pasado mañana", "es", "Europe/Madrid", date(2031, 3, 22)),
        ("oggi", "it", "Europe/Rome", date(2031, 3, 20)),
        ("tomorrow", "it", "Europe/Rome", date(2031, 3, 21)),  # English words work in any language
        ("sabato", "it", "Europe/Rome", date(2031, 3, 22)),
        ("lunedi", "it", "Europe/Rome", date(2031, 3, 24)),
        ("giovedì", "it", "Europe/Rome", date(2031, 3, 27)),  # said on a Thursday: next week's
        ("Fri", "en", "Europe/London", date(2031, 3, 21)),
        ("mar 25 mar", "it", "Europe/Rome", date(2031, 3, 25)),  # Tuesday and March share "mar"
    ],
)
def test_dates_are_read_in_the_users_language_and_locale_order(text, lang, tz, expected):
    assert read(text, lang, tz) == TypedWhen(expected)


@pytest.mark.parametrize(
    ("text", "lang", "tz", "day", "at"),
    [
        ("domani alle 18", "it", "Europe/Rome", date(2031, 3, 21), time(18)),
        ("29/03 18:30", "it", "Europe/Rome", date(2031, 3, 29), time(18, 30)),
        ("sabato alle 20.30", "it", "Europe/Rome", date(2031, 3, 22), time(20, 30)),
        ("dopodomani alle ore 9", "it", "Europe/Rome", date(2031, 3, 22), time(9)),
        ("tomorrow at 6pm", "en", "Europe/London", date(2031, 3, 21), time(18)),
        ("sat 29/03 at 18", "en", "Europe/Rome", date(2031, 3, 29), time(18)),
        ("Samstag 18 Uhr", "de", "Europe/Berlin", date(2031, 3, 22), time(18)),
        ("morgen um 18:30 Uhr", "de", "Europe/Berlin", date(2031, 3, 21), time(18, 30)),
        ("sábado a las 18", "es", "Europe/Madrid", date(2031, 3, 22), time(18)),
        ("demain à 18h", "fr", "Europe/Paris", date(2031, 3, 21), time(18)),
        ("samedi 29 mars 18h30", "fr", "Europe/Paris", date(2031, 3, 29), time(18, 30)),
    ],
)
def test_a_day_and_a_time_typed_together(text, lang, tz, day, at):
    assert read(text, lang, tz) == TypedWhen(day, at)


def test_relative_days_count_from_the_users_own_midnight():
    # 23:30 UTC on the 20th is already the 21st in Rome, still the 20th in New York.
    late = datetime(2031, 3, 20, 23, 30, tzinfo=UTC)
    assert read("domani", now=late).day == date(2031, 3, 22)
    assert read("tomorrow", "en", "America/New_York", now=late).day == date(2031, 3, 21)


def test_tomorrow_across_the_spring_and_autumn_clock_changes_in_rome():
    # Saturday before the last Sunday of March and of October, late evening in Rome.
    assert read("domani alle 2:30", now=datetime(2031, 3, 29, 21, 0, tzinfo=UTC)) == TypedWhen(
        date(2031, 3, 30), time(2, 30)
    )
    assert read("domani alle 18", now=datetime(2031, 10, 25, 21, 30, tzinfo=UTC)) == TypedWhen(
        date(2031, 10, 26), time(18)
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("31/02", "date_impossible"),
        ("29/02/2031", "date_impossible"),
        ("12/13/2031", "date_impossible"),
        ("tomorrowish", "date_unreadable"),
        ("1", "date_unreadable"),
        ("sabato 30 marzo", "date_weekday_mismatch"),  # the 30th is a Sunday
    ],
)
def test_impossible_unreadable_and_contradictory_dates(text, code):
    with pytest.raises(DomainError) as refused:
        read(text)
    assert refused.value.code == code


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
def test_the_example_offered_for_an_unreadable_date_reads_in_that_language(lang):
    with use_locale(lang):
        example = unreadable_date_example(lang=lang, tz="Europe/Rome", today=TODAY)
    assert read(example["example"], lang).day == date(2031, 3, 30)
    assert read(example["relative"], lang) == TypedWhen(date(2031, 3, 21), time(18))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:30", time(18, 30)),
        ("18.30", time(18, 30)),
        ("9", time(9)),
        ("6:30 pm", time(18, 30)),
        ("12 am", time(0)),
        ("20h15", time(20, 15)),
        ("alle 18", time(18)),
        ("18 Uhr", time(18)),
        ("um 18:30 Uhr", time(18, 30)),
        ("a las 18", time(18)),
        ("à 18h", time(18)),
    ],
)
def test_times(text, expected):
    assert parse_time_input(text) == expected


@pytest.mark.parametrize("text", ["25:00", "18:75", "13 pm", "half past six"])
def test_bad_times(text):
    with pytest.raises(DomainError):
        parse_time_input(text)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2", 120),
        ("2h", 120),
        ("1,5", 90),
        ("1.5", 90),
        ("1:30", 90),
        ("1h30", 90),
        ("90", 90),
        ("45 min", 45),
        ("3 ore", 180),
    ],
)
def test_durations(text, minutes):
    assert parse_duration_input(text) == minutes


def test_the_spring_gap_has_no_instant_and_the_autumn_fold_has_two():
    assert local_candidates(date(2031, 3, 30), time(2, 30), "Europe/Rome") == []
    assert local_candidates(date(2031, 3, 30), time(3, 0), "Europe/Rome") == [datetime(2031, 3, 30, 1, 0, tzinfo=UTC)]
    assert local_candidates(date(2031, 10, 26), time(2, 30), "Europe/Rome") == [
        datetime(2031, 10, 26, 0, 30, tzinfo=UTC),
        datetime(2031, 10, 26, 1, 30, tzinfo=UTC),
    ]
    assert local_candidates(date(2026, 3, 29), time(2, 30), "Europe/Rome") == []  # the 2026 change too


def test_the_same_instant_reads_in_each_language_and_timezone():
    """The language says how it is written, the timezone which clock: an English reader in Rome
    and one in New York write alike and read their own time."""
    instant = datetime(2031, 3, 25, 17, 30, tzinfo=UTC)
    with use_locale("en"):
        assert format_when(instant, tz="Europe/Rome", lang="en") == "Tuesday, 25 March 2031 at 18:30"
        assert format_when(instant, tz="America/New_York", lang="en") == "Tuesday, 25 March 2031 at 13:30"
    with use_locale("it"):
        assert format_when(instant, tz="Europe/Rome", lang="it") == "martedì 25 marzo 2031 alle 18:30"


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Roma", "Europe/Rome"),
        ("italy", "Europe/Rome"),
        ("Londra", "Europe/London"),
        ("europe/berlin", "Europe/Berlin"),
        ("Zürich", "Europe/Zurich"),
    ],
)
def test_places_are_found_in_italian_and_english(text, zone):
    assert find_timezones(text) == [zone]


def test_a_country_with_several_zones_offers_them_all_and_nonsense_offers_none():
    assert "America/New_York" in find_timezones("Stati Uniti")
    assert find_timezones("Atlantide") == []
