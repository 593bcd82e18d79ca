"""A restart does not lose a half-done flow; the profile can be changed; menus are localised."""

import json

from sqlalchemy import select

from models.demos import Demo
from models.users import User
from tests.e2e.flows import new_reseller


async def test_a_reseller_continues_newdemo_after_the_bot_restarts(bot, reseller):
    await reseller.send("/newdemo")
    await reseller.send("Anna")
    await reseller.press("Skip")
    await reseller.send("Via Roma 1, Torino")
    await bot.restart()  # a new Application: nothing in memory survives, only the database
    date_answer = await reseller.send("25/03/2031")
    assert "Tuesday, 25 March 2031: at what time?" in date_answer[-1].text
    await reseller.send("18:00")
    await reseller.press("2 hours")
    await reseller.press("Skip")
    await reseller.press("Save")
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert (demo.host_name, demo.address, demo.duration_minutes) == ("Anna", "Via Roma 1, Torino", 120)


async def test_onboarding_in_italian_with_a_typed_city_and_name(bot, admin):
    from tests.e2e.flows import invite_link

    payload = await invite_link(admin)
    giulia = bot.person("Giulia", language_code="it-IT")
    welcome = await giulia.send(f"/start {payload}")
    assert giulia.buttons() == [
        "✓ Italiano",
        "English",
        "Deutsch",
        "Español",
        "Français",
    ]  # preselected from Telegram's language
    assert welcome[0].text.startswith("Ti diamo il benvenuto in HomeDemo, Giulia!")
    await giulia.press("Italiano")
    several = await giulia.send("Stati Uniti")
    assert "America/New_York" in " ".join(b["text"] for row in several[-1].buttons for b in row)
    unknown = await giulia.send("Atlantide")
    assert unknown[-1].text.startswith("Non conosco")
    await giulia.send("Londra")
    done = await giulia.send("Giulia Verdi")
    assert "Giulia Verdi" in done[-1].text and "/newdemo" in done[-1].text
    async with bot.db.session_scope() as s:
        user = await s.scalar(select(User).where(User.telegram_id == giulia.id))
    assert (user.locale, user.timezone, user.display_name, user.onboarded) == (
        "it",
        "Europe/London",
        "Giulia Verdi",
        True,
    )
    scope = json.dumps({"chat_id": giulia.id, "type": "chat"}, sort_keys=True)
    menu = bot.api.commands[(scope, "")]
    assert {"command": "newdemo", "description": "Programma una dimostrazione a casa"} in menu


async def test_settings_change_language_and_timezone(bot, reseller):
    shown = await reseller.send("/settings")
    assert "Language: English\nTimezone: Europe/Rome\nName: Marta" in shown[-1].text
    await reseller.press("Change language")
    saved = await reseller.press("Italiano")
    assert saved[-1].text.startswith("Salvato.")
    await reseller.send("/settings")
    await reseller.press("Cambia fuso orario")
    await reseller.send("Europe/Berlin")
    async with bot.db.session_scope() as s:
        user = await s.scalar(select(User).where(User.telegram_id == reseller.id))
    assert (user.locale, user.timezone) == ("it", "Europe/Berlin")
    help_text = await reseller.send("/help")
    assert "/newdemo – programma" in help_text[-1].text


async def test_the_default_command_menu_is_set_for_each_language(bot):
    default = json.dumps({"type": "default"}, sort_keys=True)
    assert [c["command"] for c in bot.api.commands[(default, "en")]] == ["start", "help", "settings", "privacy", "code"]
    assert bot.api.commands[(default, "it")][1]["description"] == "Cosa posso fare per te"
    assert bot.api.commands[(default, "")] == bot.api.commands[(default, "it")]  # DEFAULT_LOCALE


async def test_a_second_admin_invite_chain_records_the_upline(bot, admin):
    marta = await new_reseller(bot, admin, "Marta")
    nina = await new_reseller(bot, marta, "Nina")
    async with bot.db.session_scope() as s:
        m = await s.scalar(select(User).where(User.telegram_id == marta.id))
        n = await s.scalar(select(User).where(User.telegram_id == nina.id))
    assert n.upline_id == m.id and n.role == "reseller"
