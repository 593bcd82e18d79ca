"""The whole story of a demo, from the admin's invite to the host's answer."""

from sqlalchemy import select

from models.demos import Demo
from models.users import User
from tests.e2e.flows import book_demo, link_payload


async def demos_in_db(bot) -> list[Demo]:
    async with bot.db.session_scope() as s:
        return list((await s.scalars(select(Demo).order_by(Demo.id))).all())


async def test_admin_invites_reseller_who_books_a_demo_that_the_host_confirms(bot, admin, reseller):
    async with bot.db.session_scope() as s:
        marta = await s.scalar(select(User).where(User.telegram_id == reseller.id))
        alessandra = await s.scalar(select(User).where(User.telegram_id == admin.id))
    assert (marta.role, marta.upline_id, marta.locale, marta.onboarded) == ("reseller", alessandra.id, "en", True)

    saved = await book_demo(reseller, notes="Bring the blender")
    texts = [e.text for e in saved]
    assert "Saved! The demo is waiting for the host's confirmation." in texts
    payload = link_payload(saved[-2].text, "h")
    assert "Hi Anna Bianchi! I'm Marta." in saved[-1].text and "Tuesday, 25 March 2031 at 18:30" in saved[-1].text
    [demo] = await demos_in_db(bot)
    assert (demo.status, demo.host_phone, demo.duration_minutes, demo.notes) == (
        "awaiting_host",
        "+39 333 123 4567",
        120,
        "Bring the blender",
    )
    assert demo.starts_at.isoformat() == "2031-03-25T17:30:00+00:00"  # 18:30 in Rome, winter time

    anna = bot.person("Anna", language_code="en")
    opened = await anna.send(f"/start {payload}")
    assert "Marta would like to hold a demo at your home" in opened[-1].text
    assert "Bring the blender" not in opened[-1].text  # the reseller's notes stay private
    confirmed = await anna.press("Confirm")
    assert any("the demo is confirmed" in e.text for e in confirmed)
    assert [e.filename for e in confirmed if e.kind == "document"] == [f"homedemo-{demo.id}.ics"]

    told = reseller.received()
    assert any("Anna Bianchi confirmed the demo on Tuesday, 25 March 2031 at 18:30" in e.text for e in told)
    ics = [e.document for e in told if e.kind == "document"]
    assert len(ics) == 1 and b"DTSTART;TZID=Europe/Rome:20310325T183000" in ics[0] and b"SEQUENCE:0" in ics[0]
    [demo] = await demos_in_db(bot)
    assert demo.status == "confirmed"

    again = await anna.press_data(*anna.last_with_button("Confirm"))
    assert again[-1].kind == "alert" and "already confirmed" in again[-1].text


async def test_host_declines_and_reseller_is_told(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    declined = await anna.press("Decline")
    assert "You declined the demo" in declined[-1].text
    assert any("Anna Bianchi declined the demo" in e.text for e in reseller.received())
    assert [d.status for d in await demos_in_db(bot)] == ["declined"]


async def test_host_proposes_another_time_and_reseller_accepts(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Propose another time")
    await anna.send("27/03/2031")
    shown = await anna.send("20:00")
    assert (
        "Propose this time?\n📅 Thursday, 27 March 2031 at 20:00\nMarta will be asked" in shown[-1].text
    )  # nothing saved yet
    assert [d.status for d in await demos_in_db(bot)] == ["awaiting_host"]
    proposed = await anna.press("Send")
    assert "whether Thursday, 27 March 2031 at 20:00 works" in proposed[-1].text
    told = reseller.received()
    assert "proposed: Thursday, 27 March 2031 at 20:00" in told[-1].text
    [demo] = await demos_in_db(bot)
    assert demo.status == "proposed" and demo.starts_at.isoformat() == "2031-03-25T17:30:00+00:00"

    accepted = await reseller.press("Accept")
    assert "the demo is now on Thursday, 27 March 2031 at 20:00, confirmed" in accepted[0].text
    assert any(e.kind == "document" and b"SEQUENCE:1" in e.document for e in accepted)
    host_sees = anna.received()
    assert any("accepted your proposal" in e.text for e in host_sees)
    assert any(e.kind == "document" and b"DTSTART;TZID=Europe/Rome:20310327T200000" in e.document for e in host_sees)
    [demo] = await demos_in_db(bot)
    assert demo.status == "confirmed" and demo.starts_at.isoformat() == "2031-03-27T19:00:00+00:00"


async def test_reseller_refuses_a_proposal_and_the_original_time_stands(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Propose another time")
    await anna.send("27/03/2031")
    await anna.send("20:00")
    await anna.press("Send")
    await reseller.press("Refuse")
    host_sees = anna.received()
    assert "can't make the time you proposed" in host_sees[-1].text
    assert "✅ Confirm" in anna.buttons()
    [demo] = await demos_in_db(bot)
    assert demo.status == "awaiting_host" and demo.proposed_starts_at is None


async def test_reschedule_asks_the_host_again_and_resends_the_calendar(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Confirm")
    reseller.received()

    listing = await reseller.send("/demos")
    assert "Your upcoming demos (1)" in listing[-1].text
    await reseller.press("Anna Bianchi")
    await reseller.press("Reschedule")
    await reseller.send("26/03/2031")
    asked = await reseller.send("19:00")
    assert "to Wednesday, 26 March 2031 at 19:00?" in asked[-1].text
    moved = await reseller.press("Move it")
    assert "Moved to Wednesday, 26 March 2031 at 19:00" in moved[0].text
    assert any(e.kind == "document" and b"SEQUENCE:1" in e.document for e in moved)
    host_sees = anna.received()
    assert any("has moved the demo. Does the new time suit you?" in e.text for e in host_sees)
    [moved_ics] = [e.document for e in host_sees if e.kind == "document"]
    assert b"20310326T190000" in moved_ics and b"STATUS:TENTATIVE" in moved_ics and b"SEQUENCE:1" in moved_ics
    [demo] = await demos_in_db(bot)
    assert demo.status == "awaiting_host" and demo.starts_at.isoformat() == "2031-03-26T18:00:00+00:00"
    reconfirmed = await anna.press("Confirm")
    assert any(e.kind == "document" and b"20310326T190000" in e.document for e in reconfirmed)


async def test_cancel_tells_the_host(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    await anna.press("Confirm")
    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    asked = await reseller.press("Cancel demo")
    assert "The host will be told." in asked[-1].text
    await reseller.press("Yes, cancel it")
    host_sees = anna.received()
    assert "Marta has cancelled the demo planned on Tuesday, 25 March 2031 at 18:30" in host_sees[0].text
    assert any(e.kind == "document" and b"METHOD:CANCEL" in e.document for e in host_sees)
    [demo] = await demos_in_db(bot)
    assert demo.status == "cancelled"
    listing = await reseller.send("/demos")
    assert "no upcoming demos" in listing[-1].text
    late = await anna.press_data(*anna.last_with_button("Confirm"))
    assert late[-1].kind == "alert" and "cancelled" in late[-1].text


async def test_the_host_sees_the_demo_in_their_own_language(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    lucia = bot.person("Lucia", language_code="it")
    opened = await lucia.send(f"/start {payload}")
    assert "Marta vorrebbe" in opened[-1].text or "Marta" in opened[-1].text
    assert "martedì 25 marzo 2031 alle 18:30" in opened[-1].text
    assert lucia.buttons() == [
        "✅ Conferma",
        "❌ Rifiuta",
        "🕑 Proponi un altro orario",
        "👥 Lista ospiti",
        "🎁 Premio per chi ospita",
    ]
    await lucia.press("Conferma")
    told = reseller.received()
    assert any("Anna Bianchi confirmed the demo on Tuesday, 25 March 2031 at 18:30" in e.text for e in told)


async def test_a_reseller_who_blocked_the_bot_does_not_break_the_hosts_answer(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    bot.api.blocked.add(reseller.id)
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    confirmed = await anna.press("Confirm")
    assert any("the demo is confirmed" in e.text for e in confirmed)
    [demo] = await demos_in_db(bot)
    assert demo.status == "confirmed"
