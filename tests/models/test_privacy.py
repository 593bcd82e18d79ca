"""Privacy rights on a real database: erasure leaves nothing of the person in any table while
the sales records stay whole; hand-over to the sponsor; an advisor erasing a guest; the copy of
a person's data; the retention of guests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Integer, String, Text, func, select

from models import (
    Base,
    DomainError,
    botstate,
    commissions,
    compliance,
    demos,
    guests,
    notifications,
    orders,
    privacy,
    shop,
)
from models.commissions import ClosedPeriod, CommissionEntry
from models.demos import Demo
from models.guests import Guest
from models.notifications import Notification, ReminderPlan
from models.orders import Customer, Order, OrderLine, WithdrawalPolicy
from models.party_rewards import close_party
from models.personal_data import personal_data
from models.plan import parse_plan
from models.rewards import parse_reward_table
from models.users import Invite, Role, User, create_invite, redeem_invite, user_by_telegram_id
from tests.factories import NOW, load_catalog, make_demo, make_user

PLAN = parse_plan((Path(__file__).resolve().parents[2] / "bot" / "commission_plan.toml").read_text())
POLICY = WithdrawalPolicy()
NAME, PHONE, TELEGRAM_ID = "Zebulon Quartermaine", "347 555 0199", 987_654_321
PAST, LATER = NOW - timedelta(days=10), NOW + timedelta(days=6)


@dataclass
class World:
    zeb: User  # the person: manager, advisor, host, guest and customer
    sponsor: User
    recruit: User
    admin: User
    open_demo: Demo  # Zeb's own, upcoming
    hosted: Demo  # the sponsor's, hosted by Zeb


async def _order(session, reseller, demo, customer, items, key, now=NOW):
    order = await orders.create_order(
        session,
        reseller=reseller,
        demo=demo,
        customer=customer,
        items=items,
        idempotency_key=key,
        policy=POLICY,
        now=now,
    )
    await commissions.post_order(session, order=order, plan=PLAN, now=now)
    return order


async def seed(session) -> World:
    """Zeb leaves a trace in every table, in every role; other people leave theirs beside it."""
    catalog = await load_catalog(session)
    tm7, spat = catalog["TM7"].id, catalog["SPAT"].id
    admin = await make_user(session, role=Role.ADMIN, name="Alessandra Admin")
    sponsor = await make_user(session, role=Role.MANAGER, name="Sofia Sponsor", upline_id=admin.id)
    zeb = User(
        telegram_id=TELEGRAM_ID,
        role=None,
        display_name=NAME,
        locale="en",
        timezone="Europe/London",
        onboarded=True,
        created_at=NOW,
    )
    session.add(zeb)
    await session.flush()
    await redeem_invite(
        session, token=(await create_invite(session, inviter=sponsor, now=NOW)).token, user=zeb, now=NOW
    )
    zeb.role = Role.MANAGER
    recruit = await make_user(session, role=None, name="Rita Recruit")
    await redeem_invite(
        session, token=(await create_invite(session, inviter=zeb, now=NOW)).token, user=recruit, now=NOW
    )
    await create_invite(session, inviter=zeb, now=NOW)  # never used

    # As an advisor: a past party with a guest typed in and a sale; an upcoming demo; own use and a buy-back.
    past = await make_demo(session, reseller=zeb, starts_at=PAST, now=PAST - timedelta(days=5), host_name="Hannah Host")
    gina = await guests.add_guest_by_hand(
        session, demo=past, name="Gina Guest", phone="333 222 3333", region="IT", now=PAST
    )
    await _order(session, zeb, past, Customer(guest_id=gina.id), [(tm7, 1)], "z1")
    own = await _order(session, zeb, None, Customer(own_use=True), [(spat, 4)], "z2")
    line = (await orders.lines_of(session, own.id))[0]
    await compliance.record_buy_back(
        session, order=own, actor=zeb, quantities={line.id: 1}, refund_minor=line.unit_price_minor, plan=PLAN, now=NOW
    )
    open_demo = await make_demo(session, reseller=zeb, starts_at=LATER, notes="bring the big bowl")
    await _order(session, recruit, None, Customer(name="Carlo Cliente"), [(tm7, 1)], "r1")  # Zeb earns an override

    # As a host: the sponsor's upcoming demo, booked with Zeb's name and phone, link claimed and confirmed.
    hosted = await make_demo(
        session,
        reseller=sponsor,
        starts_at=LATER + timedelta(days=1),
        host_name=NAME,
        host_phone="+39 " + PHONE,
        address="Via Po 3, Torino",
        notes="Zebulon has a dog; call 347-555-0199 from the gate",
    )
    await demos.claim_host_link(session, token=hosted.host_token, user=zeb)
    await demos.confirm_by_host(session, demo=hosted, now=NOW)

    # As a guest and a customer: at the sponsor's past party, who sold to him and noted a withdrawal.
    party = await make_demo(
        session, reseller=sponsor, starts_at=PAST, now=PAST - timedelta(days=5), host_name="Olga Other"
    )
    zeb_guest = await guests.rsvp(
        session, demo=party, user=zeb, name=NAME, phone=PHONE, region="IT", consent_at=PAST, now=PAST
    )
    other_guest = await guests.add_guest_by_hand(
        session, demo=party, name="Otto Other", phone=None, region="IT", now=PAST
    )
    bought = await _order(session, sponsor, party, Customer(guest_id=zeb_guest.id), [(tm7, 1), (spat, 2)], "s1")
    spat_line = (await orders.lines_of(session, bought.id))[1]
    await orders.withdraw(
        session,
        order=bought,
        actor=sponsor,
        quantities={spat_line.id: 1},
        reason="Quartermaine returned a spatula, he called from 3475550199",
        now=NOW,
    )
    await commissions.post_order(session, order=bought, plan=PLAN, now=NOW)
    await _order(session, sponsor, party, Customer(guest_id=other_guest.id), [(spat, 1)], "s2")
    # Typed in by hand elsewhere with his phone, and a sale typed as a new customer: the phone finds them.
    await guests.add_guest_by_hand(session, demo=hosted, name="Zeb Q.", phone=PHONE, region="IT", now=NOW)
    typed = await orders.create_order(
        session,
        reseller=sponsor,
        demo=None,
        customer=Customer(name=NAME, phone="+39 347 555 0199"),
        items=[(spat, 1)],
        idempotency_key="s3",
        policy=POLICY,
        now=NOW,
    )
    await orders.cancel_order(session, order=typed, actor=sponsor, reason="Mr Quartermaine changed his mind", now=NOW)

    # Online: his own shop code, a wrong code typed, and an order through the sponsor's party shop.
    await shop.code_of(session, user=zeb, now=NOW)
    await shop.code_of(session, user=sponsor, now=NOW)
    assert await shop.advisor_for_code(session, text="NOSUCHCODE", user=zeb, now=NOW) is None
    basket = await shop.open_basket(session, customer=zeb, reseller=sponsor, demo=hosted, now=NOW)
    await shop.set_quantity(session, request=basket, product_id=spat, quantity=2, now=NOW)
    shop.set_customer(basket, name=NAME)
    shop.set_delivery(basket, delivery=shop.Delivery.ADDRESS, address="Zebulon Quartermaine, Via Po 3, Torino")
    await shop.place(session, request=basket, now=NOW)

    # Messages, a half-finished flow, a closed month.
    plan = ReminderPlan()
    for demo in (open_demo, hosted):
        await notifications.sync_demo_notifications(session, demo=demo, plan=plan, now=NOW)
    await notifications.tell(session, recipient_id=zeb.id, kind="menu", payload={"user_id": zeb.id}, now=NOW)
    await notifications.tell(session, recipient_id=sponsor.id, kind="menu", payload={"user_id": sponsor.id}, now=NOW)
    await botstate.save_conversation(
        session, name="new_demo", key=(TELEGRAM_ID, TELEGRAM_ID), state="host_name", now=NOW
    )
    await botstate.save_conversation(
        session, name="new_demo", key=(sponsor.telegram_id, sponsor.telegram_id), state="address", now=NOW
    )
    await botstate.save_draft(session, telegram_id=TELEGRAM_ID, data={"nd": {"host_name": f"{NAME}'s cousin"}}, now=NOW)
    await botstate.save_draft(session, telegram_id=sponsor.telegram_id, data={"nd": {"host_name": "Nora"}}, now=NOW)
    assert await botstate.first_delivery(session, update_id=1, now=NOW)  # an update id and a time, nothing personal
    session.add(ClosedPeriod(period="2031-02", closed_at=NOW))
    rewards = (Path(__file__).resolve().parents[2] / "bot" / "host_rewards.toml").read_text()
    await close_party(session, demo=past, table=parse_reward_table(rewards), now=NOW)  # the past party closed
    await session.flush()
    return World(zeb, sponsor, recruit, admin, open_demo, hosted)


async def traces(session, needles: list[str], digits: str, number: int) -> list[str]:
    """Every cell of every table that still holds one of the needles, the phone's digits
    however spaced, or the Telegram id."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in (await session.execute(select(table))).mappings():
            for column in table.columns:
                value = row[column.name]
                if isinstance(column.type, (String, Text)) and isinstance(value, str):
                    lowered = value.lower()
                    if (
                        any(n.lower() in lowered for n in needles)
                        or digits in re.sub(r"\D", "", value)
                        or str(number) in value
                    ):
                        found.append(f"{table.name}.{column.name}={value!r}")
                elif isinstance(column.type, (Integer, BigInteger)) and value == number:
                    found.append(f"{table.name}.{column.name}={value!r}")
    return found


async def ledger(session) -> tuple:
    """What accounting keeps: every order with its lines, every commission entry."""
    kept = (
        await session.execute(
            select(
                Order.id,
                Order.reseller_id,
                Order.kind,
                Order.status,
                Order.currency,
                Order.demo_id,
                Order.withdrawal_ends_at,
            ).order_by(Order.id)
        )
    ).all()
    lines = (
        await session.execute(
            select(
                OrderLine.order_id,
                OrderLine.sku,
                OrderLine.unit_price_minor,
                OrderLine.quantity,
                OrderLine.withdrawn_quantity,
            ).order_by(OrderLine.id)
        )
    ).all()
    entries = (
        await session.execute(
            select(
                CommissionEntry.earner_id,
                CommissionEntry.order_id,
                CommissionEntry.level,
                CommissionEntry.period,
                CommissionEntry.amount_minor,
            ).order_by(CommissionEntry.id)
        )
    ).all()
    total = await session.scalar(select(func.sum(CommissionEntry.amount_minor)))
    return kept, lines, entries, total


async def test_erasure_leaves_nothing_of_the_person_in_any_table_and_keeps_the_sales_records(session):
    world = await seed(session)
    tables = [t.name for t in Base.metadata.sorted_tables]
    empty = [
        name
        for name in tables
        if not await session.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
    ]
    assert empty == []  # every table holds something, so the scan below is not vacuous
    needles = [NAME, "Zebulon", "Quartermaine"]
    assert len(await traces(session, needles, "3475550199", TELEGRAM_ID)) > 10
    before = await ledger(session)

    result = await privacy.erase_person(session, user=world.zeb, now=NOW, locale="it", timezone="Europe/Rome")

    assert await traces(session, needles, "3475550199", TELEGRAM_ID) == []
    assert await ledger(session) == before
    assert result.shell_kept
    shell = await session.get(User, world.zeb.id)
    assert shell.telegram_id < 0 and (shell.locale, shell.timezone, shell.role, shell.upline_id) == (
        "it",
        "Europe/Rome",
        None,
        None,
    )
    assert await user_by_telegram_id(session, TELEGRAM_ID) is None  # a later /start begins afresh
    # Other people's data stays where it was.
    assert (await session.get(User, world.sponsor.id)).display_name == "Sofia Sponsor"
    assert await session.scalar(select(func.count()).select_from(Guest).where(Guest.name == "Gina Guest")) == 1
    assert await session.get(botstate.UserDraft, world.sponsor.telegram_id) is not None
    assert sorted(tables) == [
        "buy_backs",
        "closed_periods",
        "commission_entries",
        "conversation_states",
        "demos",
        "guests",
        "handled_updates",
        "invites",
        "notifications",
        "order_events",
        "order_lines",
        "order_request_lines",
        "order_requests",
        "orders",
        "party_rewards",
        "products",
        "shop_code_attempts",
        "shop_codes",
        "user_drafts",
        "users",
    ]


async def test_a_host_leaves_the_demo_with_a_neutral_label_and_only_the_town(session):
    world = await seed(session)
    result = await privacy.erase_person(session, user=world.zeb, now=NOW, locale="it", timezone="Europe/Rome")
    hosted = await session.get(Demo, world.hosted.id)
    assert (hosted.host_name, hosted.host_phone, hosted.host_user_id, hosted.address) == (
        "host (erased)",
        None,
        None,
        "Torino",
    )
    assert hosted.notes == "[erased] has a dog; call [erased] from the gate"
    assert [d.id for d in result.hosts_left] == [hosted.id]


async def test_an_advisor_hands_upcoming_demos_and_team_to_the_sponsor(session):
    world = await seed(session)
    result = await privacy.erase_person(session, user=world.zeb, now=NOW, locale="it", timezone="Europe/Rome")
    assert result.sponsor.id == world.sponsor.id
    assert [d.id for d in result.handed_demos] == [world.open_demo.id] and result.moved_members == 1
    assert (await session.get(Demo, world.open_demo.id)).reseller_id == world.sponsor.id
    assert (await session.get(User, world.recruit.id)).upline_id == world.sponsor.id
    past = await session.scalar(select(Demo).where(Demo.host_name == "Hannah Host"))
    assert past.reseller_id == world.zeb.id  # a past party stays with the sales records
    # The unused invite can no longer bring anyone in; the used ones stay as the team's history.
    assert await session.scalar(select(func.count()).select_from(Invite).where(Invite.used_at.is_(None))) == 0


async def test_an_admin_takes_over_when_there_is_no_upline_and_nobody_at_all_refuses(session):
    admin = await make_user(session, role=Role.ADMIN, name="Alessandra")
    founder = await make_user(session, role=Role.MANAGER, name="Franco")
    demo = await make_demo(session, reseller=founder)
    result = await privacy.erase_person(session, user=founder, now=NOW, locale="it", timezone="Europe/Rome")
    assert result.sponsor.id == admin.id and (await session.get(Demo, demo.id)).reseller_id == admin.id
    await make_demo(session, reseller=admin)
    assert (await privacy.preview(session, user=admin, now=NOW)).blocked
    with pytest.raises(DomainError) as refused:
        await privacy.erase_person(session, user=admin, now=NOW, locale="it", timezone="Europe/Rome")
    assert refused.value.code == "erasure_no_successor"


async def test_someone_who_was_only_a_guest_is_deleted_outright_and_their_place_freed(session):
    reseller = await make_user(session)
    demo = await make_demo(session, reseller=reseller)
    await guests.set_capacity(session, demo=demo, capacity=1, now=NOW)
    ada = await make_user(session, role=None, name="Ada Rossi")
    bea = await make_user(session, role=None, name="Bea")
    await guests.rsvp(
        session, demo=demo, user=ada, name="Ada Rossi", phone="333 111 2222", region="IT", consent_at=NOW, now=NOW
    )
    waiting = await guests.rsvp(
        session, demo=demo, user=bea, name="Bea", phone=None, region="IT", consent_at=NOW, now=NOW
    )
    result = await privacy.erase_person(session, user=ada, now=NOW, locale="it", timezone="Europe/Rome")
    assert not result.shell_kept and await session.get(User, ada.id) is None
    assert [g.id for g in result.promoted] == [waiting.id] and list(result.replan) == [demo.id]


async def test_a_guest_erasing_their_registrations_also_clears_the_orders_that_copied_them(session):
    catalog = await load_catalog(session)
    reseller = await make_user(session)
    demo = await make_demo(session, reseller=reseller, starts_at=PAST, now=PAST - timedelta(days=1))
    ada = await make_user(session, role=None, name="Ada Rossi")
    guest = await guests.rsvp(
        session, demo=demo, user=ada, name="Ada Rossi", phone="333 111 2222", region="IT", consent_at=PAST, now=PAST
    )
    order = await _order(session, reseller, demo, Customer(guest_id=guest.id), [(catalog["SPAT"].id, 1)], "a1")
    result = await privacy.erase_guest_registrations(session, user=ada, now=NOW)
    assert (result.guests, result.orders) == (1, 1)
    assert (guest.name, guest.phone, guest.user_id, guest.status) == (
        "—",
        None,
        None,
        "going",
    )  # a past party keeps its headcount
    assert (
        order.customer_name.startswith("erased customer #")
        and order.customer_phone is None
        and order.customer_user_id is None
    )


async def test_an_advisor_erases_a_guest_everywhere_in_their_own_records_only(session):
    catalog = await load_catalog(session)
    marta, ivo = await make_user(session, name="Marta"), await make_user(session, name="Ivo")
    first = await make_demo(session, reseller=marta, starts_at=PAST, now=PAST - timedelta(days=1))
    second = await make_demo(session, reseller=marta)
    elsewhere = await make_demo(session, reseller=ivo)
    dora = await guests.add_guest_by_hand(
        session, demo=first, name="Dora Neri", phone="333 444 5555", region="IT", now=PAST
    )
    again = await guests.add_guest_by_hand(
        session, demo=second, name="Dora N.", phone="333 444 5555", region="IT", now=NOW
    )
    ivos = await guests.add_guest_by_hand(
        session, demo=elsewhere, name="Dora Neri", phone="333 444 5555", region="IT", now=NOW
    )
    bought = await _order(session, marta, first, Customer(guest_id=dora.id), [(catalog["TM7"].id, 1)], "d1")
    await orders.cancel_order(session, order=bought, actor=marta, reason="Dora Neri found it cheaper", now=NOW)
    before = await ledger(session)

    result = await privacy.erase_guest(session, guest=dora, reseller=marta, now=NOW)

    assert (result.guests, result.orders) == (2, 1)
    assert [(g.name, g.phone) for g in (dora, again)] == [("—", None), ("—", None)]
    assert again.status == "not_coming"  # an upcoming place is given up
    assert bought.customer_name.startswith("erased customer #") and bought.customer_phone is None
    assert [e.reason for e in await orders.history_of(session, bought.id)] == [None, "[erased] found it cheaper"]
    assert (ivos.name, ivos.phone) == ("Dora Neri", "+39 333 444 5555")  # another advisor's records are theirs
    assert await ledger(session) == before
    assert privacy.guest_is_erased(dora)
    with pytest.raises(DomainError):
        await privacy.erase_guest(session, guest=dora, reseller=marta, now=NOW)


async def test_the_copy_holds_every_section_with_the_persons_data_and_nobody_elses(session):
    world = await seed(session)
    data = await personal_data(session, user=world.zeb, plan=PLAN)
    assert list(data) == [
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
        "your_online_order_requests",
        "your_shop_code",
        "shop_codes_you_typed_that_do_not_exist",
        "conversations",
        "drafts",
        "messages_to_you",
    ]
    assert data["user"]["telegram_id"] == TELEGRAM_ID and data["user"]["display_name"] == NAME
    assert [d["host_name"] for d in data["demos_you_run"]] == ["Hannah Host", "Anna"]
    assert [g["name"] for g in data["guests_you_added"]] == ["Gina Guest"]
    assert len(data["orders_you_logged"]) == 2 and len(data["buy_backs"]) == 1
    [online] = data["your_online_order_requests"]
    assert (online["status"], online["address"], [ln["quantity"] for ln in online["lines"]]) == (
        "placed",
        "Zebulon Quartermaine, Via Po 3, Torino",
        [2],
    )
    assert len(data["your_shop_code"]) == 8 and len(data["shop_codes_you_typed_that_do_not_exist"]) == 1
    assert {e["level"] for e in data["commission_entries"]} == {0, 1}  # his sales and his recruit's
    assert [d["host_phone"] for d in data["demos_you_host"]] == ["+39 347 555 0199"]
    assert [g["name"] for g in data["your_guest_registrations"]] == [NAME]
    assert [o["customer_name"] for o in data["orders_you_placed"]] == [NAME]
    assert data["conversations"] == [{"flow": "new_demo", "step": "host_name", "updated_at": NOW}]
    assert data["drafts"] == {"nd": {"host_name": f"{NAME}'s cousin"}}
    assert {m["kind"] for m in data["messages_to_you"]} == {
        "menu",
        "reseller_reminder",
        "reseller_followup",
        "host_reminder",
        "host_thanks",
        "party_close_reminder",
    }
    text = repr(data)
    for someone_else in (
        "Otto Other",
        "Olga Other",
        "Carlo Cliente",
        "Nora",
        "Sofia Sponsor",
        "host_token",
        "idempotency_key",
    ):
        assert someone_else not in text


def test_months_before_keeps_the_day_within_the_month():
    assert privacy.months_before(NOW.replace(month=3, day=31), 1).date().isoformat() == "2031-02-28"
    assert privacy.months_before(NOW, 12).date().isoformat() == "2030-03-20"
    assert privacy.months_before(NOW, 15).date().isoformat() == "2029-12-20"


async def test_guests_of_old_demos_who_never_ordered_are_removed_with_nothing_else(session):
    catalog = await load_catalog(session)
    reseller = await make_user(session)
    old = await make_demo(
        session, reseller=reseller, starts_at=NOW - timedelta(days=400), now=NOW - timedelta(days=410)
    )
    recent = await make_demo(
        session, reseller=reseller, starts_at=NOW - timedelta(days=300), now=NOW - timedelta(days=310)
    )
    only_guest = await make_user(session, role=None, name="Ugo")
    also_host = await make_user(session, role=None, name="Vera")
    gone = await guests.rsvp(
        session,
        demo=old,
        user=only_guest,
        name="Ugo",
        phone=None,
        region="IT",
        consent_at=old.starts_at,
        now=old.starts_at,
    )
    await guests.rsvp(
        session,
        demo=old,
        user=also_host,
        name="Vera",
        phone=None,
        region="IT",
        consent_at=old.starts_at,
        now=old.starts_at,
    )
    await demos.claim_host_link(session, token=recent.host_token, user=also_host)
    buyer = await guests.add_guest_by_hand(session, demo=old, name="Walter", phone=None, region="IT", now=old.starts_at)
    await _order(
        session, reseller, old, Customer(guest_id=buyer.id), [(catalog["SPAT"].id, 1)], "w1", now=old.starts_at
    )
    kept_recent = await guests.add_guest_by_hand(
        session, demo=recent, name="Xena", phone=None, region="IT", now=recent.starts_at
    )
    await notifications.tell(session, recipient_id=only_guest.id, kind="menu", payload={}, now=old.starts_at)

    assert await privacy.purge_stale_guests(session, now=NOW, months=12) == 2
    left = set((await session.scalars(select(Guest.name))).all())
    assert left == {"Walter", "Xena"} and await session.get(Guest, gone.id) is None
    assert await session.get(User, only_guest.id) is None  # nothing else about Ugo was kept
    assert await session.get(User, also_host.id) is not None  # Vera hosts a demo
    assert (
        await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.recipient_id == only_guest.id)
        )
        == 0
    )
    assert await privacy.purge_stale_guests(session, now=NOW, months=6) == 1  # a shorter setting reaches Xena
    assert await session.get(Guest, kept_recent.id) is None
