"""Dates typed the way people say them: read in the user's language, always shown back in full
before anything is saved. The clock stands on Thursday 20 March 2031, 10:00 in Rome."""

from sqlalchemy import select

from models.demos import Demo
from tests.e2e.flows import book_demo, invite_link, link_payload, onboard


async def demos_in_db(bot) -> list[Demo]:
    async with bot.db.session_scope() as s:
        return list((await s.scalars(select(Demo).order_by(Demo.id))).all())


async def start_booking(reseller) -> None:
    await reseller.send("/newdemo")
    await reseller.send("Anna Bianchi")
    await reseller.press("Skip")
    await reseller.send("Via Garibaldi 12, Torino")


async def test_a_day_and_time_typed_at_once_is_shown_back_in_full_before_saving(bot, reseller):
    await start_booking(reseller)
    shown = await reseller.send("sat 29/03 at 18")
    assert "Saturday, 29 March 2031 at 18:00. How long will it last?" in shown[-1].text
    assert await demos_in_db(bot) == []
    await reseller.press("2 h")
    summary = await reseller.press("Skip")
    assert "📅 Saturday, 29 March 2031 at 18:00" in summary[-1].text
    await reseller.press("Save")
    [demo] = await demos_in_db(bot)
    assert demo.starts_at.isoformat() == "2031-03-29T17:00:00+00:00"


async def test_an_ambiguous_date_is_read_in_the_readers_order_and_shown_back(bot, reseller):
    await start_booking(reseller)
    shown = await reseller.send("03/04")
    assert shown[-1].text.startswith("Thursday, 3 April 2031: at what time?")


async def test_an_italian_advisor_types_domani_alle_18(bot, admin):
    giulia = await italian_reseller(bot, admin)
    await start_booking_it(giulia)
    shown = await giulia.send("domani alle 18")
    assert "venerdì 21 marzo 2031 alle 18:00" in shown[-1].text


async def italian_reseller(bot, admin):
    giulia = bot.person("Giulia", language_code="it")
    await giulia.send(f"/start {await invite_link(admin)}")
    await onboard(giulia, language="Italiano", name="Giulia")
    giulia.received()
    return giulia


async def start_booking_it(person) -> None:
    await person.send("/newdemo")
    await person.send("Anna Bianchi")
    await person.press("Salta")
    await person.send("Via Garibaldi 12, Torino")


async def test_an_unreadable_date_gets_examples_in_the_users_language(bot, admin):
    giulia = await italian_reseller(bot, admin)
    await start_booking_it(giulia)
    refused = await giulia.send("il prima possibile")
    assert "“domenica 30 marzo” o “domani alle 18:00”" in refused[-1].text


async def test_past_and_too_far_dates_are_still_refused(bot, reseller):
    await start_booking(reseller)
    assert "already passed" in (await reseller.send("yesterday"))[-1].text
    assert "already passed" in (await reseller.send("today at 9:00"))[-1].text
    assert "more than 18 months ahead" in (await reseller.send("1/1/2040"))[-1].text


async def test_a_time_typed_the_spring_forward_night_is_refused(bot, reseller):
    await start_booking(reseller)
    refused = await reseller.send("30/03 at 2:30")
    assert "the clocks go forward" in refused[-1].text


async def test_the_host_confirms_a_proposal_typed_at_once(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Propose another time")
    shown = await anna.send("next saturday at 17:00")
    assert "📅 Saturday, 22 March 2031 at 17:00\nMarta will be asked" in shown[-1].text
    again = await anna.press("« Change day")
    assert "Which day?" in again[-1].text
    await anna.send("friday 28/03 at 19:30")
    await anna.press("Send")
    [demo] = await demos_in_db(bot)
    assert demo.status == "proposed" and demo.proposed_starts_at.isoformat() == "2031-03-28T18:30:00+00:00"
