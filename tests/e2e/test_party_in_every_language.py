"""A whole party played in each of the five languages: the advisor, the host and a guest all speak
it, press its buttons and read its texts, money and dates written its way."""

from datetime import UTC, datetime

import pytest

from tests.e2e.flows import invite_link, link_payload
from tests.e2e.test_party_story import load_catalog
from views.dates import format_when
from views.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, translations
from views.money import format_money

STARTS = datetime(2031, 3, 25, 17, 30, tzinfo=UTC)  # 18:30 in Rome
DURING_THE_PARTY = datetime(2031, 3, 25, 18, 30, tzinfo=UTC)


def label(lang: str, msgid: str) -> str:
    """A button's text in `lang`, without the emoji in front: what a person looks for."""
    text = translations(lang).gettext(msgid)
    return text.split(" ", 1)[1] if not text[0].isalnum() else text


def use_telegram_name(lang: str) -> str:
    return translations(lang).gettext("Use “{name}”").split("{name}")[0].strip(' “"«„')


async def onboard(person, lang: str) -> None:
    await person.press(LANGUAGE_NAMES[lang])
    await person.press("Europe/Rome")
    await person.press(use_telegram_name(lang))


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
async def test_a_whole_party_in_one_language(bot, admin, lang):
    t = translations(lang).gettext
    await load_catalog(bot)
    marta = bot.person("Marta", language_code=lang)
    await marta.send(f"/start {await invite_link(admin)}")
    await onboard(marta, lang)

    await marta.send("/newdemo")
    await marta.send("Anna Bianchi")
    await marta.send("333 123 4567")
    await marta.send("Via Garibaldi 12, Torino")
    shown = await marta.send("25/03/2031 18:30")
    assert shown[-1].text.startswith(format_when(STARTS, tz="Europe/Rome", lang=lang))  # shown back in full
    durations = [b for b in marta.buttons() if "2" in b]
    await marta.press(durations[0])
    await marta.press(label(lang, "Skip"))
    saved = await marta.press(label(lang, "✅ Save"))
    assert t("Saved! The demo is waiting for the host's confirmation.") in [e.text for e in saved]
    host_link = link_payload(next(e.text for e in saved if "start=h_" in e.text), "h")

    anna = bot.person("Anna", language_code=lang)
    await anna.send(f"/start {host_link}")
    confirmed = await anna.press(label(lang, "✅ Confirm"))
    guest_link = link_payload(next(e.text for e in confirmed if "start=g_" in e.text), "g")

    ada = bot.person("Ada", language_code=lang)
    await ada.send(f"/start {guest_link}")
    await ada.press(label(lang, "✅ I agree, continue"))
    await ada.press(use_telegram_name(lang))
    joined = await ada.press(label(lang, "Skip"))
    when = format_when(STARTS, tz="Europe/Rome", lang=lang)
    expected = t("You are on the guest list, {name}! See you on {when} at {address}.").format(
        name="Ada", when=when, address="Via Garibaldi 12, Torino"
    )
    assert joined[-1].text == expected
    english = "You are on the guest list, Ada! See you on Tuesday, 25 March 2031 at 18:30 at Via Garibaldi 12, Torino."
    assert (joined[-1].text == english) == (lang == "en")  # nothing left in English for the others

    bot.clock.set(DURING_THE_PARTY)
    await marta.send("/order")
    await marta.press("Anna Bianchi")
    await marta.press("Ada")
    await marta.send("SPAT")
    await marta.send("2")
    await marta.press(label(lang, "✅ Review order"))
    await marta.press(label(lang, "✅ Confirm order"))
    total = format_money(2980, "EUR", lang=lang, tz="Europe/Rome")
    receipt = [e.text for e in ada.received() if total in e.text]
    assert receipt, f"Ada's receipt shows {total}"
    assert {"it": "29,80", "en": "€29.80", "de": "29,80", "es": "29,80", "fr": "29,80"}[lang] in receipt[0]
