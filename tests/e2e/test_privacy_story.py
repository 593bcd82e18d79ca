"""Privacy rights in the chat: /mydata's file, /forget's question and who may answer it, the
hand-over to the sponsor, a host leaving, an advisor erasing a guest, and old guests removed."""

import json
from datetime import timedelta

from sqlalchemy import select

from models.demos import Demo
from models.guests import Guest
from models.orders import Order
from models.users import User
from tests.e2e.flows import NOW, new_reseller
from tests.e2e.test_forged_buttons import STALE, everything
from tests.e2e.test_party_story import DURING_THE_PARTY, order, party, rsvp
from tests.e2e.test_team_story import menu_of

SECTIONS = {
    "your_online_order_requests",
    "your_shop_code",
    "shop_codes_you_typed_that_do_not_exist",
    "format",
    "generated_at",
    "user",
    "invites_you_created",
    "invite_you_used",
    "demos_you_run",
    "guests_you_added",
    "orders_you_logged",
    "commission_entries",
    "commission_statements",
    "buy_backs",
    "demos_you_host",
    "your_guest_registrations",
    "orders_you_placed",
    "conversations",
    "drafts",
    "messages_to_you",
}


def exported(events) -> tuple[dict, str]:
    files = [e for e in events if e.kind == "document"]
    assert [f.filename for f in files] == ["homedemo-my-data-2031-03-20.json"]
    return json.loads(files[0].document.decode("utf-8")), next(e.text for e in events if e.kind == "message")


async def user_of(bot, person) -> User | None:
    async with bot.db.session_scope() as s:
        return await s.scalar(select(User).where(User.telegram_id == person.id))


async def test_mydata_sends_a_json_file_of_the_persons_data_and_nobody_elses(bot, reseller):
    _anna, payload = await party(bot, reseller)
    ada, _o, _d = await rsvp(bot, "Ada", payload, phone="333 111 2222")
    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    await reseller.press("Guests")
    await reseller.press("Add guest")
    await reseller.send("Dora Neri")
    await reseller.press("Skip")

    data, summary = exported(await reseller.send("/mydata"))
    assert set(data) == SECTIONS and data["format"] == "homedemo-personal-data/1"
    assert data["user"]["display_name"] == "Marta" and data["user"]["telegram_id"] == reseller.id
    assert [d["host_name"] for d in data["demos_you_run"]] == ["Anna Bianchi"]
    assert [g["name"] for g in data["guests_you_added"]] == ["Dora Neri"]
    assert summary.startswith("Here is a copy of everything we keep about you") and "• 1 demo you run" in summary
    assert "• 1 guest you added by hand" in summary and summary.endswith("To erase your data, send /forget.")
    assert "Ada" not in json.dumps(data) and "Alessandra" not in json.dumps(data)

    data, summary = exported(await ada.send("/mydata"))
    assert [(g["name"], g["phone"]) for g in data["your_guest_registrations"]] == [("Ada", "+39 333 111 2222")]
    assert data["demos_you_run"] == [] and "• 1 guest list you are on" in summary
    assert not any(word in json.dumps(data) for word in ("Marta", "Anna", "Bianchi", "Garibaldi", "Dora"))


async def test_forget_asks_first_and_only_the_person_asked_can_answer(bot, admin, reseller):
    anna, _payload = await party(bot, reseller)
    nina = await new_reseller(bot, reseller, "Nina")
    reseller.received()
    question = await reseller.send("/forget")
    assert question[-1].text.startswith("Erase your data from HomeDemo? This cannot be undone.")
    assert "• 1 upcoming demo of yours goes to Alessandra Admin." in question[-1].text
    assert "• 1 advisor you brought in moves to Alessandra Admin's team." in question[-1].text
    message, data = reseller.last_with_button("Yes, erase")
    before = await everything(bot)
    async with bot.db.session_scope() as s:
        admin_row = await s.scalar(select(User).where(User.telegram_id == admin.id))
    assert [
        (e.kind, e.text) for e in await admin.press_data(admin.last_message_id(), data)
    ] == STALE  # someone else's button
    assert [
        (e.kind, e.text) for e in await reseller.press_data(message, f"forget:yes:{admin_row.id}")
    ] == STALE  # forged
    kept = await reseller.press("No, keep my data")
    assert kept[-1].text == "Nothing was erased."
    assert await everything(bot) == before

    await reseller.send("/forget")
    done = await reseller.press("Yes, erase")
    assert done[-1].text.startswith("Done: your data has been erased.")
    told = admin.received()[-1]
    assert told.text == (
        "An advisor of your team has erased their data from HomeDemo, and what they had passes to you:\n"
        "• 1 upcoming demo: see /demos\n• 1 advisor joins your team: see /team"
    )
    assert await user_of(bot, reseller) is None
    assert (await user_of(bot, nina)).upline_id == admin_row.id
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert demo.reseller_id == admin_row.id and demo.host_name == "Anna Bianchi"  # the host's party goes on
    assert menu_of(bot, reseller) == ["start", "help", "settings", "privacy", "code"]
    assert [
        (e.kind, e.text) for e in await reseller.press_data(message, data)
    ] == STALE  # pressed again: nobody to erase
    fresh = await reseller.send("/start")
    assert fresh[-1].text.startswith("Hi! HomeDemo helps independent advisors")
    assert anna.received() == []


async def test_a_host_who_forgets_leaves_the_demo_and_the_advisor_is_told(bot, reseller):
    anna, _payload = await party(bot, reseller)
    await anna.send("/forget")
    done = await anna.press("Yes, erase")
    assert done[-1].text.startswith("Done: your data has been erased.")
    told = reseller.received()[-1]
    assert told.text.startswith(
        "The host of your demo on Tuesday, 25 March 2031 at 18:30 has erased their data from HomeDemo"
    )
    assert await user_of(bot, anna) is None  # nothing the law keeps pointed to her
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert (demo.host_name, demo.host_phone, demo.address, demo.host_user_id) == ("host (erased)", None, "Torino", None)


async def test_an_advisor_erases_a_guest_at_their_request_from_the_demo_page(bot, admin, reseller):
    _anna, payload = await party(bot, reseller)
    await rsvp(bot, "Ada", payload, phone="333 111 2222")
    await rsvp(bot, "Bea", payload)
    bot.clock.set(DURING_THE_PARTY)
    await order(reseller, customer="Ada", items=[("TM7", 1)])
    nina = await new_reseller(bot, admin, "Nina")
    async with bot.db.session_scope() as s:
        ada_id = await s.scalar(select(Guest.id).where(Guest.name == "Ada"))
    forged = await nina.press_data(nina.last_message_id(), f"guest:eraseyes:{ada_id}")
    assert [(e.kind, e.text) for e in forged] == [("alert", "This guest is not available to you.")]

    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    chosen = await reseller.press("Erase a guest's data")
    assert chosen[-1].text.startswith("Whose data should be erased?")
    assert "Ada · +39 333 111 2222" in reseller.buttons() and "Bea" in reseller.buttons()
    asked = await reseller.press("Ada")
    assert asked[-1].text.startswith("Erase Ada's data?")
    done = await reseller.press("Yes, erase")
    assert (
        done[-1].text
        == "Done: the guest's name and phone are erased from:\n• 1 guest list\n• 1 order, kept as a sales record"
    )
    async with bot.db.session_scope() as s:
        guest = await s.get(Guest, ada_id)
        sold = await s.scalar(select(Order))
    assert (guest.name, guest.phone, guest.user_id) == ("—", None, None)
    assert (
        sold.customer_name.startswith("erased customer #")
        and sold.customer_phone is None
        and sold.customer_user_id is None
    )
    await reseller.press("Demo")
    await reseller.press("Erase a guest's data")
    assert [b for b in reseller.buttons() if b != "« Demo"] == ["Bea"]


async def test_housekeeping_removes_guests_of_old_demos_who_bought_nothing(bot, reseller):
    _anna, payload = await party(bot, reseller)
    await rsvp(bot, "Ada", payload)
    bot.clock.set(NOW + timedelta(days=400))
    await bot.dispatch()
    async with bot.db.session_scope() as s:
        assert (await s.scalars(select(Guest))).all() == []
