"""Which language a person reads, how counts read in it, and how numbers, money and dates are written:
by the reader's language, whatever their timezone."""

from datetime import UTC, date, datetime

import pytest

from bot.boundary import sender_locale
from bot.config import Settings
from models import DomainError
from views.dates import format_day, format_days, format_full_day, format_when
from views.errors import error_text
from views.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, _, ngettext, normalize_locale, use_locale
from views.menus import BASIC_COMMANDS, bot_commands
from views.money import format_money, format_rate


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("de-AT", "de"),
        ("de", "de"),
        ("es-MX", "es"),
        ("es_ES", "es"),
        ("FR-ca", "fr"),
        ("it", "it"),
        ("en-GB", "en"),
        ("pt", "en"),  # no Portuguese catalog yet: English, not the bot's home language
        ("pt-br", "en"),
        ("zh-hans", "en"),
    ],
)
def test_the_language_follows_telegrams_language_code(code, lang):
    assert normalize_locale(code, "it") == lang


@pytest.mark.parametrize("code", [None, "", "  "])
def test_without_a_language_code_the_bot_default_is_used(code):
    assert normalize_locale(code, "it") == "it"
    assert normalize_locale(code, "de") == "de"


def test_the_sender_of_an_update_reads_their_language(monkeypatch):
    class _User:
        language_code = "es-MX"

    class _Update:
        effective_user = _User()

    settings = Settings(bot_token="1:x", default_locale="it")
    assert sender_locale(_Update(), settings) == "es"


def test_settings_offer_every_catalog_in_its_own_name():
    assert SUPPORTED_LOCALES == ("it", "en", "de", "es", "fr")
    assert [LANGUAGE_NAMES[lang] for lang in SUPPORTED_LOCALES] == [
        "Italiano",
        "English",
        "Deutsch",
        "Español",
        "Français",
    ]


def test_the_command_menu_is_built_per_language():
    with use_locale("it"):
        italian = [c.description for c in bot_commands(BASIC_COMMANDS)]
    with use_locale("en"):
        english = [c.description for c in bot_commands(BASIC_COMMANDS)]
    assert english[0] == "Start or restart the bot"
    assert italian[0] != english[0]


@pytest.mark.parametrize(
    ("lang", "count", "text"),
    [
        ("en", 1, "Your team: 1 person. Page 1 of 1."),
        ("en", 2, "Your team: 2 people. Page 1 of 1."),
        ("en", 0, "Your team: 0 people. Page 1 of 1."),
        ("it", 1, "Il tuo team: 1 persona. Pagina 1 di 1."),
        ("it", 2, "Il tuo team: 2 persone. Pagina 1 di 1."),
        ("it", 0, "Il tuo team: 0 persone. Pagina 1 di 1."),
    ],
)
def test_a_count_chooses_the_plural_form_of_the_language(lang, count, text):
    with use_locale(lang):
        shown = ngettext(
            "Your team: {count} person. Page {page} of {pages}.",
            "Your team: {count} people. Page {page} of {pages}.",
            count,
        ).format(count=count, page=1, pages=1)
    assert shown == text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", ["1 day", "2 days", "0 days"]), ("it", ["1 giorno", "2 giorni", "0 giorni"])],
)
def test_days_are_counted_in_the_readers_language(lang, expected):
    assert [format_days(n, lang=lang) for n in (1, 2, 0)] == expected


@pytest.mark.parametrize(
    ("lang", "limit", "text"),
    [
        ("en", 1, "The reason can be at most 1 character long."),
        ("en", 300, "The reason can be at most 300 characters long."),
        ("it", 1, "Il motivo può avere al massimo 1 carattere."),
        ("it", 300, "Il motivo può avere al massimo 300 caratteri."),
    ],
)
def test_refusals_count_in_the_readers_language(lang, limit, text):
    with use_locale(lang):
        assert error_text(DomainError("reason_too_long", limit=limit)) == text


def test_refusals_write_dates_durations_and_rates_the_readers_way():
    with use_locale("it"):
        assert error_text(DomainError("withdrawal_period_over", last_day=date(2026, 4, 8))) == (
            "Il periodo di recesso di questo ordine è finito. L'ultimo giorno utile era mercoledì 8 aprile 2026."
        )
        assert error_text(DomainError("duration_range", shortest_minutes=30, longest_minutes=480)) == (
            "Una dimostrazione dura da 30 minuti a 8 ore. Scrivi di nuovo la durata."
        )
    with use_locale("en"):
        assert "that is 90% of the price paid" in error_text(
            DomainError("buy_back_below_minimum", minimum_minor=900, currency="EUR", share_bp=9000)
        )


@pytest.mark.parametrize("tz", ["Europe/Rome", "America/New_York", "Asia/Tokyo"])
def test_money_is_written_by_language_not_by_timezone(tz):
    assert format_money(309_800, "EUR", lang="en", tz=tz) == "€3,098.00"
    assert format_money(309_800, "EUR", lang="it", tz=tz) == "3.098,00\xa0€"
    assert format_money(309_800, "EUR", lang="de", tz=tz) == "3.098,00\xa0€"
    assert format_money(309_800, "EUR", lang="fr", tz=tz) == "3\u202f098,00\xa0€"
    assert format_rate(1250, lang="en", tz=tz) == "12.5%"
    assert format_rate(1250, lang="fr", tz=tz) == "12,5\xa0%"


def test_an_english_guest_in_rome_reads_english_writing_and_romes_time():
    instant = datetime(2026, 11, 28, 17, 30, tzinfo=UTC)  # 18:30 in Rome, 12:30 in New York
    assert format_when(instant, tz="Europe/Rome", lang="en") == "Saturday, 28 November 2026 at 18:30"
    assert format_when(instant, tz="America/New_York", lang="en") == "Saturday, 28 November 2026 at 12:30"
    assert format_when(instant, tz="America/New_York", lang="it") == "sabato 28 novembre 2026 alle 12:30"
    with use_locale("de"):
        assert format_when(instant, tz="Europe/Rome", lang="de").startswith("Samstag, 28. November 2026")


def test_weekday_and_month_names_follow_the_language():
    day = date(2026, 11, 28)
    assert [format_day(day, lang=lang, tz="Europe/Rome") for lang in ("it", "en", "de", "es", "fr")] == [
        "sab 28 nov",
        "Sat 28 Nov",
        "Sa., 28. Nov.",
        "sáb, 28 nov",
        "sam. 28 nov.",
    ]
    assert format_full_day(day, lang="es") == "sábado, 28 de noviembre de 2026"


def test_an_untranslated_message_falls_back_to_english_not_to_an_error():
    with use_locale("de"):
        assert _("Products and prices")  # until the German catalog has it, the English text


def test_a_translators_json_file_is_written_into_the_catalog(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    from bot.locales import apply_json

    catalog = Catalog(locale="de")
    catalog.add("Products and prices")
    catalog.add(("{count} order", "{count} orders"))
    path = tmp_path / "messages.po"
    with open(path, "wb") as po:
        write_po(po, catalog)
    report = apply_json(
        path,
        [
            {"msgid": "Products and prices", "msgstr": "Produkte und Preise"},
            {"msgid": ["{count} order", "{count} orders"], "msgstr": ["{count} Bestellung", "{count} Bestellungen"]},
            {"msgid": "Gone from the code", "msgstr": "Weg"},
            {"msgid": ["{count} order", "{count} orders"], "msgstr": ["{count} Bestellung"]},
        ],
    )
    with open(path, "rb") as po:
        written = read_po(po)
    assert written.get("Products and prices").string == "Produkte und Preise"
    assert written.get("{count} order").string == ("{count} Bestellung", "{count} Bestellungen")
    assert report.applied == 2
    assert report.problems == [
        "not in the catalog (changed or removed): 'Gone from the code'",
        "needs 2 plural forms: ('{count} order', '{count} orders')",
    ]
