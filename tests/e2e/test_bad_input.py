"""Bad input gets a clear message, the question again, and changes nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from models.demos import Demo
from models.users import Invite, User
from tests.e2e.flows import book_demo, invite_link, link_payload


async def count(bot, model) -> int:
    async with bot.db.session_scope() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def start_until_date(reseller):
    await reseller.send("/newdemo")
    await reseller.send("Anna")
    await reseller.press("Skip")
    await reseller.send("Via Roma 1, Torino")


async def test_past_and_impossible_dates_are_refused_and_asked_again(bot, reseller):
    await start_until_date(reseller)
    past = await reseller.send("01/03/2031")
    assert past[-1].text == "That day has already passed. Please choose a day from today on."
    impossible = await reseller.send("31/02")
    assert impossible[-1].text.startswith("That date does not exist.")
    unreadable = await reseller.send("next tuesday-ish")
    assert "I could not read that date. Type it like" in unreadable[-1].text
    ok = await reseller.send("25/03/2031")
    assert "Tuesday, 25 March 2031: at what time?" in ok[-1].text  # shown back in full


async def test_a_time_already_past_today_is_refused(bot, reseller):
    await start_until_date(reseller)
    await reseller.press("Thu 20 Mar")  # today; it is 10:00 in Rome
    late = await reseller.send("09:30")
    assert late[-1].text.startswith("That time has already passed.")
    ok = await reseller.send("21:00")
    assert "How long will it last?" in ok[-1].text


async def test_a_time_skipped_by_the_spring_dst_change_is_refused(bot, reseller):
    await start_until_date(reseller)
    await reseller.send("30/03/2031")
    gap = await reseller.send("02:30")
    assert "the clocks go forward, so 02:30 does not exist" in gap[-1].text
    ok = await reseller.send("03:30")
    assert "Sunday, 30 March 2031 at 03:30" in ok[-1].text


async def test_a_time_repeated_by_the_autumn_dst_change_is_clarified(bot, reseller):
    await start_until_date(reseller)
    await reseller.send("26/10/2031")
    asked = await reseller.send("02:30")
    assert "02:30 happens twice" in asked[-1].text
    assert reseller.buttons() == ["02:30 (GMT+02:00)", "02:30 (GMT+01:00)"]
    await reseller.press("GMT+01:00")
    await reseller.press("1 hour")
    await reseller.press("Skip")
    await reseller.press("Save")
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert demo.starts_at.isoformat() == "2031-10-26T01:30:00+00:00"  # the second 02:30, winter time


async def test_a_5000_character_address_is_refused_and_nothing_is_saved(bot, reseller):
    await reseller.send("/newdemo")
    await reseller.send("Anna")
    await reseller.press("Skip")
    refused = await reseller.send("Via " + "x" * 4996)
    assert refused[-1].text == (
        "The address can be at most 300 characters long (length now: 5000). "
        "Please type just the street, number and town."
    )
    ok = await reseller.send("Via Roma 1, Torino")
    assert "Which day is the demo?" in ok[-1].text
    assert await count(bot, Demo) == 0


async def test_a_bad_phone_number_and_a_bad_duration_are_refused(bot, reseller):
    await reseller.send("/newdemo")
    await reseller.send("Anna")
    bad = await reseller.send("call me maybe")
    assert bad[-1].text.startswith("That does not look like a phone number.")
    await reseller.send("+39 333 123 4567")
    await reseller.send("Via Roma 1")
    await reseller.send("25/03/2031")
    await reseller.send("18:00")
    too_long = await reseller.send("20 h")
    assert too_long[-1].text == "A demo lasts from 15 minutes to 12 hours. Please type the duration again."
    ok = await reseller.send("1:30")
    assert "Any notes for yourself" in ok[-1].text


async def test_a_forged_button_on_another_resellers_demo_is_refused(bot, admin, reseller):
    from tests.e2e.flows import new_reseller

    await book_demo(reseller)
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    intruder = await new_reseller(bot, admin, "Ivo")
    await intruder.send("/demos")
    any_message = intruder.chat[-1].message_id
    for action in ("view", "cancelyes", "move", "accept", "ics", "link"):
        refused = await intruder.press_data(any_message, f"demo:{action}:{demo.id}")
        assert [(e.kind, e.text) for e in refused] == [("alert", "This demo is not available to you.")]
    forged_host = await intruder.press_data(any_message, f"host:ok:{demo.id}")
    assert forged_host[-1].text == "This demo is not available to you."
    async with bot.db.session_scope() as s:
        after = await s.scalar(select(Demo))
    assert (after.status, after.starts_at, after.host_user_id) == ("awaiting_host", demo.starts_at, None)
    assert reseller.received() == []  # the owner was not bothered


async def test_a_host_link_opened_by_a_second_account_is_politely_refused(bot, reseller):
    payload = link_payload((await book_demo(reseller))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {payload}")
    stranger = bot.person("Sam", language_code="en")
    refused = await stranger.send(f"/start {payload}")
    assert refused[-1].text.startswith("This invitation has already been opened by another Telegram account.")
    assert stranger.buttons() == []
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
        host = await s.get(User, demo.host_user_id)
    assert host.telegram_id == anna.id
    again = await anna.send(f"/start {payload}")  # the host may open it again
    assert "would like to hold a demo at your home" in again[-1].text


async def test_an_expired_invite_is_refused_and_creates_nobody(bot, admin):
    payload = await invite_link(admin)
    bot.clock.set(bot.clock.now() + timedelta(days=8))
    late = bot.person("Lia", language_code="en")
    refused = await late.send(f"/start {payload}")
    assert refused[-1].text == "This invite link has expired. Ask for a new one."
    async with bot.db.session_scope() as s:
        assert await s.scalar(select(User).where(User.telegram_id == late.id)) is None


async def test_an_invite_works_once(bot, admin):
    payload = await invite_link(admin)
    first = bot.person("Lia", language_code="en")
    await first.send(f"/start {payload}")
    second = bot.person("Leo", language_code="en")
    refused = await second.send(f"/start {payload}")
    assert refused[-1].text.startswith("This invite link has already been used.")
    async with bot.db.session_scope() as s:
        invite = await s.scalar(select(Invite))
        lia = await s.scalar(select(User).where(User.telegram_id == first.id))
        assert await s.scalar(select(User).where(User.telegram_id == second.id)) is None
    assert invite.used_by_id == lia.id and lia.role == "reseller"


async def test_a_stranger_gets_a_friendly_explanation_and_no_access(bot):
    stranger = bot.person("Sam", language_code="en")
    hello = await stranger.send("/start")
    assert "you need an invite link from your upline" in hello[-1].text
    refused = await stranger.send("/newdemo")
    assert refused[-1].text.startswith("This is for HomeDemo advisors.")
    assert await count(bot, User) == 0  # a stranger leaves no trace


async def test_cancel_leaves_a_flow_without_side_effects(bot, reseller):
    await start_until_date(reseller)
    cancelled = await reseller.send("/cancel")
    assert cancelled[-1].text == "Cancelled. Nothing was saved."
    after = await reseller.send("25/03/2031")
    assert after[-1].text == "I'm not sure what you mean. Send /help to see what I can do."
    assert await count(bot, Demo) == 0


async def test_an_overlap_is_pointed_out_before_saving(bot, reseller):
    await book_demo(reseller, at="18:30")
    await reseller.send("/newdemo")
    await reseller.send("Carla")
    await reseller.press("Skip")
    await reseller.send("Via Po 3, Torino")
    await reseller.send("25/03/2031")
    await reseller.send("19:00")
    await reseller.press("1 hour")
    summary = await reseller.press("Skip")
    assert "⚠️ This overlaps with:\n• Tuesday, 25 March 2031 at 18:30 at Anna Bianchi's" in summary[-1].text
    await reseller.press("Save")
    assert await count(bot, Demo) == 2  # pointed out, not forbidden: the reseller decides


async def test_a_day_more_than_18_months_ahead_is_refused_like_a_past_one(bot, reseller):
    await start_until_date(reseller)
    slip = await reseller.send("25/03/2033")  # 2033 for 2031
    assert slip[-1].text == "That is more than 18 months ahead. Please check the year, or choose a nearer day."
    nonsense = await reseller.send("31/12/9999")
    assert nonsense[-1].text.startswith("That is more than 18 months ahead.")
    too_far = await reseller.send("21/09/2032")  # it is 20 March 2031
    assert too_far[-1].text.startswith("That is more than 18 months ahead.")
    last = await reseller.send("20/09/2032")
    assert "Monday, 20 September 2032: at what time?" in last[-1].text
