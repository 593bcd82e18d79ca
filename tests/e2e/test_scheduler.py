"""Reminders, follow-ups and digests: each sent once, on time, in the recipient's language,
with the clock driven by the test."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.notifications import Notification
from models.users import User
from tests.e2e.flows import book_demo
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party, rsvp

STARTS = datetime(2031, 3, 25, 17, 30, tzinfo=UTC)  # 18:30 in Rome


async def confirmed_party(bot, reseller):
    anna, guest_payload = await party(bot, reseller)
    anna.received()
    return anna, guest_payload


async def at(bot, when):
    bot.clock.set(when)
    await bot.dispatch()


def reminders(person):
    """What the person was sent since they last looked, weekly digests left aside."""
    return [
        e
        for e in person.received()
        if not e.text.startswith(("📊", "👥 Your team")) and e.kind != "photo" and e.kind != "document"
    ]


async def rows(bot):
    async with bot.db.session_scope() as s:
        return {n.key: n for n in (await s.scalars(select(Notification))).all()}


async def test_reminders_reach_reseller_host_and_guests_at_their_times(bot, reseller):
    anna, payload = await confirmed_party(bot, reseller)
    ada, _o, _d = await rsvp(bot, "Ada", payload)
    ada.received()

    await at(bot, STARTS - timedelta(hours=24, minutes=1))
    assert reminders(reseller) == [] and reminders(anna) == [] and reminders(ada) == []  # not yet
    await at(bot, STARTS - timedelta(hours=24))
    [r24] = reminders(reseller)
    assert (
        r24.text.startswith("⏰ Reminder: demo at Anna Bianchi's on Tuesday, 25 March 2031 at 18:30")
        and "Guests coming: 1" in r24.text
    )
    [h24] = reminders(anna)
    assert "Tomorrow is your demo with Marta" in h24.text and "Guests who said they are coming: 1." in h24.text
    [g24] = reminders(ada)
    assert "See you at the demo at Anna's" in g24.text and [b["text"] for row in g24.buttons for b in row] == [
        "I can't come"
    ]

    await at(bot, STARTS - timedelta(hours=2))
    [r2] = reminders(reseller)
    assert r2.text.startswith("⏰ Reminder: demo at Anna Bianchi's")
    await at(bot, STARTS - timedelta(hours=1))
    assert reminders(reseller) == []  # nothing twice

    await at(bot, STARTS + timedelta(hours=2, minutes=30))  # 30 min after the end
    [followup] = reminders(reseller)
    assert "Mark who came and log the orders" in followup.text


async def test_the_host_is_thanked_with_the_partys_sales_once_orders_are_logged(bot, reseller):
    anna, payload = await confirmed_party(bot, reseller)
    await rsvp(bot, "Ada", payload)
    await at(bot, STARTS + timedelta(hours=26))  # a day after the end: no order yet, so it waits
    assert not [e for e in anna.received() if "Thank you for hosting" in e.text]
    bot.clock.set(DURING_THE_PARTY + timedelta(hours=27))
    await order(reseller, customer="Ada", items=[("SPAT", 2)])
    await at(bot, STARTS + timedelta(hours=40))
    [thanks] = [e for e in anna.received() if "Thank you for hosting" in e.text]
    assert "Your party's sales: €29.80. Your host reward: €0.00." in thanks.text
    await at(bot, STARTS + timedelta(days=3))
    assert not [e for e in anna.received() if "Thank you for hosting" in e.text]  # once


async def test_rescheduling_moves_and_cancelling_removes_pending_reminders(bot, reseller):
    await confirmed_party(bot, reseller)
    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Reschedule")
    await reseller.send("27/03/2031")
    await reseller.send("18:30")
    await reseller.press("Move it")
    pending = {k: n for k, n in (await rows(bot)).items() if n.status == "pending"}
    assert sorted(n.due_at for n in pending.values() if n.kind == "reseller_reminder") == [
        STARTS + timedelta(days=2) - timedelta(hours=24),
        STARTS + timedelta(days=2) - timedelta(hours=2),
    ]
    assert not [n for n in pending.values() if n.kind == "host_reminder"]  # the host has to confirm again first
    await at(bot, STARTS - timedelta(hours=24))
    assert reminders(reseller) == []  # the old time is gone

    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Cancel demo")
    await reseller.press("Yes, cancel it")
    assert [n for n in (await rows(bot)).values() if n.status == "pending" and n.key.startswith("demo:")] == []
    reseller.received()
    await at(bot, STARTS + timedelta(days=2) - timedelta(hours=2))
    assert reminders(reseller) == []


async def test_after_downtime_a_reminder_is_sent_late_before_the_demo_and_skipped_after(bot, reseller):
    await confirmed_party(bot, reseller)
    await bot.stop()  # down from before the 24 h reminder until after the 2 h one
    bot.clock.set(STARTS - timedelta(hours=1))
    await bot.start()
    await bot.dispatch()  # two reseller reminders and the host's, all late but still useful
    assert len([e for e in reseller.received() if "⏰ Reminder" in e.text]) == 2
    await bot.stop()
    bot.clock.set(STARTS + timedelta(minutes=5))
    await bot.start()
    bot.auto_dispatch = False  # the bot goes down right after this booking, before anything is sent
    await book_demo(reseller, day="27/03/2031", host="Carla")
    reseller.received()
    bot.clock.set(datetime(2031, 3, 27, 20, 0, tzinfo=UTC))  # slept through Carla's whole demo day
    await bot.dispatch()
    statuses = {
        n.key.split(":")[-1] + ":" + n.kind: n.status for n in (await rows(bot)).values() if n.payload.endswith("2}")
    }
    assert statuses["1440m:reseller_reminder"] == "skipped" and statuses["120m:reseller_reminder"] == "skipped"


async def test_a_guest_who_cannot_come_gets_no_reminder(bot, reseller):
    _anna, payload = await confirmed_party(bot, reseller)
    ada, _o, _d = await rsvp(bot, "Ada", payload)
    await ada.press("I can't come")
    ada.received()
    await at(bot, STARTS - timedelta(hours=24))
    assert ada.received() == []


async def test_a_blocked_recipient_is_marked_unreachable_and_not_retried(bot, reseller):
    await confirmed_party(bot, reseller)
    bot.api.blocked.add(reseller.id)
    await at(bot, STARTS - timedelta(hours=24))
    calls_before = len(bot.api.calls)
    await at(bot, STARTS - timedelta(hours=2))
    async with bot.db.session_scope() as s:
        marta = await s.scalar(select(User).where(User.telegram_id == reseller.id))
    assert marta.unreachable_at == STARTS - timedelta(hours=24)
    statuses = [n.status for n in (await rows(bot)).values() if n.kind == "reseller_reminder"]
    assert statuses == ["unreachable", "unreachable"]
    assert not [
        c for c in bot.api.calls[calls_before:] if c[1].get("chat_id") == str(reseller.id)
    ]  # no retry, no new attempt
    bot.api.blocked.discard(reseller.id)
    await reseller.send("/help")  # they come back
    async with bot.db.session_scope() as s:
        assert (await s.scalar(select(User).where(User.telegram_id == reseller.id))).unreachable_at is None


async def test_network_errors_are_retried_with_backoff_then_given_up(bot, reseller):
    await confirmed_party(bot, reseller)
    bot.api.failures[reseller.id] = 100
    due = STARTS - timedelta(hours=24)
    await at(bot, due)
    [row] = [n for n in (await rows(bot)).values() if n.kind == "reseller_reminder" and n.key.endswith(":1440m")]
    assert (row.status, row.attempts, row.due_at) == ("pending", 1, due + timedelta(seconds=30))
    for wait in (30, 90, 210, 450):  # 30 s, then 60, 120, 240 after each failure
        await at(bot, due + timedelta(seconds=wait))
    [row] = [n for n in (await rows(bot)).values() if n.key == row.key]
    assert (row.status, row.attempts) == ("failed", 5) and "Bad Gateway" in row.last_error
    bot.api.failures[reseller.id] = 1  # one more blip, then fine: the next reminder gets through
    await at(bot, STARTS - timedelta(hours=2))
    await at(bot, STARTS - timedelta(hours=2) + timedelta(seconds=30))
    assert [e.text[:11] for e in reminders(reseller)] == ["⏰ Reminder:"]


async def test_rate_limited_sends_wait_and_all_arrive(bot, reseller):
    await confirmed_party(bot, reseller)
    bot.api.enforce_limits = True
    bot.api.per_chat_per_second = 1
    await at(bot, STARTS - timedelta(hours=1))  # both reseller reminders at once, to one chat
    assert len([e for e in reseller.received() if "⏰ Reminder" in e.text]) == 2
    assert bot.api.too_many, "the second message should have met a 429 and waited"


async def test_after_sale_care_reminds_the_reseller_some_weeks_later(bot, reseller):
    _anna, payload = await confirmed_party(bot, reseller)
    await rsvp(bot, "Ada", payload, phone="333 111 2222")
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Ada", items=[("TM7", 1)])
    reseller.received()
    await at(bot, DURING_THE_PARTY + timedelta(days=21) - timedelta(minutes=1))
    assert not [e for e in reseller.received() if "💬" in e.text]
    await at(bot, DURING_THE_PARTY + timedelta(days=21))
    [care] = [e for e in reseller.received() if "💬" in e.text]
    assert "since Ada bought Kitchen robot TM7 (25 March 2031)" in care.text and "+39 333 111 2222" in care.text


async def test_a_demo_booked_hours_ahead_gets_only_the_reminders_still_ahead(bot, reseller):
    """Booked at 10:00 for 18:30 the same day: no "tomorrow" reminder right after booking, the
    reseller's 2-hour one still comes; a guest who joins an hour before gets no reminder at all."""
    bot.clock.set(STARTS - timedelta(hours=7, minutes=30))
    saved = await book_demo(reseller, day="25/03/2031", at="18:30")
    assert any("Saved!" in e.text for e in saved)
    await at(bot, STARTS - timedelta(hours=7))
    assert reminders(reseller) == []
    planned = [n for n in (await rows(bot)).values() if n.kind == "reseller_reminder"]
    assert [(n.due_at, n.status) for n in planned] == [(STARTS - timedelta(hours=2), "pending")]
    await at(bot, STARTS - timedelta(hours=2))
    [r2] = reminders(reseller)
    assert r2.text.startswith("⏰ Reminder: demo at Anna Bianchi's")
