"""A week of demos replayed at accelerated time, across the spring DST change and a restart
with downtime: every person gets each message once, when they should."""

from datetime import UTC, datetime, timedelta

from tests.e2e.flows import book_demo, link_payload, new_reseller, onboard_admin
from tests.e2e.test_party_story import load_catalog, order, rsvp
from tests.fakebot.harness import ADMIN_ID

UTC = UTC
STEP = timedelta(minutes=15)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_a_week_of_messages_each_once_and_on_time(bot):
    bot.clock.set(utc(2026, 3, 20, 9))  # Friday before
    admin = bot.person("Alessandra", user_id=ADMIN_ID, language_code="en")
    await onboard_admin(admin)
    marta = await new_reseller(bot, admin, "Marta")
    await load_catalog(bot)
    # Saturday 28 March 20:00 in Rome is still winter time (19:00 UTC)...
    host_payload = link_payload((await book_demo(marta, day="28/03/2026", at="20:00"))[-2].text, "h")
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {host_payload}")
    confirmed = await anna.press("Confirm")
    guest_payload = link_payload(next(e.text for e in confirmed if "start=g_" in e.text), "g")
    ada, _o, _d = await rsvp(bot, "Ada", guest_payload)
    # ...Monday 30 March 19:00 is summer time (17:00 UTC): the clocks went forward in between.
    await book_demo(marta, day="30/03/2026", at="19:00", host="Carla Neri", phone=None)
    people = {"marta": marta, "admin": admin, "anna": anna, "ada": ada}
    for person in people.values():
        person.received()

    seen: list[tuple[datetime, str, str]] = []
    now, end = utc(2026, 3, 23, 0), utc(2026, 3, 31, 12)
    down = (utc(2026, 3, 28, 16, 45), utc(2026, 3, 28, 18, 30))
    while now <= end:
        bot.clock.set(now)
        if now == down[0]:
            await bot.stop()
        if now == down[1]:
            await bot.start()
        if not down[0] <= now < down[1]:
            if now == utc(2026, 3, 28, 20):  # during the party, Ada buys
                await order(marta, customer="Ada", items=[("SPAT", 2)])
                marta.received()
            await bot.dispatch()
            for name, person in people.items():
                for event in person.received():
                    if event.kind == "message":
                        seen.append((now, name, event.text.split("\n")[0][:40]))
        now += STEP

    expected = [
        (utc(2026, 3, 23, 7), "marta", "📊 Your week: 16–22 Mar"),  # Monday 08:00 CET
        (utc(2026, 3, 23, 7), "admin", "📊 Your week: 16–22 Mar"),
        (utc(2026, 3, 23, 7), "admin", "👥 Your team's week (16–22 Mar): €0.00 in"),
        (utc(2026, 3, 27, 19), "marta", "⏰ Reminder: demo at Anna Bianchi's on Sa"),  # 24 h before
        (utc(2026, 3, 27, 19), "anna", "⏰ Tomorrow is your demo with Marta: Satu"),
        (utc(2026, 3, 27, 19), "ada", "⏰ See you at the demo at Anna's on Satur"),
        (
            utc(2026, 3, 28, 18, 30),
            "marta",
            "⏰ Reminder: demo at Anna Bianchi's on Sa",
        ),  # 2 h before, late: the bot was down
        (utc(2026, 3, 28, 20), "ada", "Order no. 1 of Saturday, 28 March 2026 a"),  # the receipt
        (utc(2026, 3, 28, 21, 30), "marta", "How did the demo at Anna Bianchi's go? M"),
        (utc(2026, 3, 29, 17), "marta", "⏰ Reminder: demo at Carla Neri's on Mond"),  # 24 h before, across the change
        (utc(2026, 3, 29, 21), "anna", "Thank you for hosting the demo, from Mar"),
        (utc(2026, 3, 30, 6), "marta", "📊 Your week: 23–29 Mar"),  # Monday 08:00 CEST
        (utc(2026, 3, 30, 6), "admin", "📊 Your week: 23–29 Mar"),
        (utc(2026, 3, 30, 6), "admin", "👥 Your team's week (23–29 Mar): €29.80 i"),
        (utc(2026, 3, 30, 15), "marta", "⏰ Reminder: demo at Carla Neri's on Mond"),  # 2 h before
        (utc(2026, 3, 30, 19, 30), "marta", "How did the demo at Carla Neri's go? Mar"),
    ]
    assert sorted(seen) == sorted(expected)
    # the team digest came with its chart and its figures as CSV
    admin_files = [e for e in admin.chat if e.kind in ("photo", "document")]
    assert [e.filename for e in admin_files] == ["chart.png", "team-2026-03-16.csv", "chart.png", "team-2026-03-23.csv"]
    assert admin_files[2].document.startswith(b"\x89PNG")
    assert admin_files[3].document.decode("utf-8-sig").splitlines() == [
        "member,sales,orders,demos held",
        "Marta,29.80,1,1",
    ]
