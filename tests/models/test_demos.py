"""Demo rules, on the real database, without Telegram."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from models import DomainError, demos
from models.demos import DemoStatus
from tests.factories import NOW, make_demo, make_user


async def test_a_demo_is_stored_awaiting_the_host_with_a_random_host_token(session):
    marta = await make_user(session)
    first = await make_demo(session, reseller=marta)
    second = await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=9))
    assert first.status == "awaiting_host" and first.host_user_id is None
    assert len(first.host_token) >= 20 and first.host_token != second.host_token


async def test_a_status_is_an_enum_in_the_code_and_its_plain_value_in_the_database(session):
    demo = await make_demo(session, reseller=await make_user(session))
    assert await session.scalar(text("SELECT status FROM demos WHERE id = :id"), {"id": demo.id}) == "awaiting_host"
    await session.refresh(demo)
    assert demo.status is DemoStatus.AWAITING_HOST
    demo.status = "postponed"  # not a status: refused before it reaches the database
    with pytest.raises(StatementError, match="postponed"):
        await session.flush()
    await session.rollback()


async def test_only_the_sales_force_can_schedule(session):
    host = await make_user(session, role=None)
    with pytest.raises(DomainError) as refused:
        await make_demo(session, reseller=host)
    assert refused.value.code == "not_a_seller"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("address", "x" * 5000, "address_too_long"),
        ("address", "   ", "address_empty"),
        ("host_name", "y" * 101, "host_name_too_long"),
        ("notes", "z" * 1001, "notes_too_long"),
    ],
)
async def test_oversized_or_empty_fields_are_refused(session, field, value, code):
    marta = await make_user(session)
    with pytest.raises(DomainError) as refused:
        await make_demo(session, reseller=marta, **{field: value})
    assert refused.value.code == code


async def test_a_demo_in_the_past_is_refused(session):
    marta = await make_user(session)
    with pytest.raises(DomainError) as refused:
        await make_demo(session, reseller=marta, starts_at=NOW - timedelta(minutes=1))
    assert refused.value.code == "time_past"


@pytest.mark.parametrize(("minutes", "ok"), [(14, False), (15, True), (720, True), (721, False)])
async def test_duration_limits(session, minutes, ok):
    marta = await make_user(session)
    if ok:
        assert (await make_demo(session, reseller=marta, duration_minutes=minutes)).duration_minutes == minutes
    else:
        with pytest.raises(DomainError):
            await make_demo(session, reseller=marta, duration_minutes=minutes)


def test_phone_numbers_are_stored_in_international_format():
    assert demos.validate_phone("333 1234567", region="IT") == "+39 333 123 4567"
    assert demos.validate_phone("+44 20 7946 0958", region="IT") == "+44 20 7946 0958"
    with pytest.raises(DomainError):
        demos.validate_phone("12", region="IT")


async def test_overlaps_are_found_across_the_edges_but_not_touching_demos(session):
    marta = await make_user(session)
    other = await make_user(session, name="Ivo")
    start = NOW + timedelta(days=2)
    await make_demo(session, reseller=marta, starts_at=start, duration_minutes=120)
    await make_demo(session, reseller=other, starts_at=start)  # someone else's
    cancelled = await make_demo(session, reseller=marta, starts_at=start + timedelta(minutes=30))
    await demos.cancel_demo(session, demo=cancelled, now=NOW)

    async def overlapping(offset_minutes: int, minutes: int = 60) -> int:
        found = await demos.find_overlaps(
            session, reseller_id=marta.id, starts_at=start + timedelta(minutes=offset_minutes), duration_minutes=minutes
        )
        return len(found)

    assert await overlapping(-60) == 0  # ends exactly when it starts
    assert await overlapping(-59) == 1
    assert await overlapping(119) == 1
    assert await overlapping(120) == 0  # starts exactly when it ends
    assert await overlapping(-600, 12 * 60) == 1  # a long one around it


async def test_host_link_binds_to_the_first_account_only(session):
    marta = await make_user(session)
    anna = await make_user(session, role=None, name="Anna")
    sam = await make_user(session, role=None, name="Sam")
    demo = await make_demo(session, reseller=marta)
    assert (await demos.claim_host_link(session, token=demo.host_token, user=anna)).host_user_id == anna.id
    assert (await demos.claim_host_link(session, token=demo.host_token, user=anna)).id == demo.id  # again: fine
    for user, code in ((sam, "host_link_taken"), (marta, "host_link_own")):
        with pytest.raises(DomainError) as refused:
            await demos.claim_host_link(session, token=demo.host_token, user=user)
        assert refused.value.code == code
    with pytest.raises(DomainError) as unknown:
        await demos.claim_host_link(session, token="nope", user=sam)
    assert unknown.value.code == "host_link_unknown"


async def test_host_cannot_confirm_twice(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await demos.confirm_by_host(session, demo=demo, now=NOW)
    with pytest.raises(DomainError) as again:
        await demos.confirm_by_host(session, demo=demo, now=NOW)
    assert again.value.code == "already_confirmed"


async def test_a_started_or_cancelled_demo_cannot_be_confirmed(session):
    demo = await make_demo(session, reseller=await make_user(session))
    with pytest.raises(DomainError) as started:
        await demos.confirm_by_host(session, demo=demo, now=demo.starts_at)
    assert started.value.code == "demo_started"
    await demos.cancel_demo(session, demo=demo, now=NOW)
    with pytest.raises(DomainError) as cancelled:
        await demos.decline_by_host(session, demo=demo, now=NOW)
    assert cancelled.value.code == "demo_cancelled"


async def test_proposal_accepted_moves_the_demo_and_bumps_the_calendar_sequence(session):
    demo = await make_demo(session, reseller=await make_user(session))
    new_time = demo.starts_at + timedelta(days=1)
    await demos.propose_time(session, demo=demo, starts_at=new_time, now=NOW)
    assert (demo.status, demo.proposed_starts_at) == ("proposed", new_time)
    await demos.accept_proposal(session, demo=demo, now=NOW)
    assert (demo.status, demo.starts_at, demo.proposed_starts_at, demo.ics_sequence) == ("confirmed", new_time, None, 1)
    with pytest.raises(DomainError) as stale:
        await demos.accept_proposal(session, demo=demo, now=NOW)
    assert stale.value.code == "no_proposal"


async def test_a_proposal_that_has_become_past_cannot_be_accepted(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await demos.propose_time(session, demo=demo, starts_at=NOW + timedelta(hours=1), now=NOW)
    with pytest.raises(DomainError) as late:
        await demos.accept_proposal(session, demo=demo, now=NOW + timedelta(hours=2))
    assert late.value.code == "proposal_past"


async def test_reschedule_needs_the_host_again(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await demos.confirm_by_host(session, demo=demo, now=NOW)
    later = demo.starts_at + timedelta(hours=3)
    await demos.reschedule_demo(session, demo=demo, starts_at=later, now=NOW)
    assert (demo.status, demo.starts_at, demo.ics_sequence) == ("awaiting_host", later, 1)
    with pytest.raises(DomainError) as same:
        await demos.reschedule_demo(session, demo=demo, starts_at=later, now=NOW)
    assert same.value.code == "same_time"


async def test_another_resellers_demo_is_not_found(session):
    marta, ivo = await make_user(session), await make_user(session, name="Ivo")
    demo = await make_demo(session, reseller=marta)
    assert (await demos.demo_of_reseller(session, demo_id=demo.id, reseller=marta)).id == demo.id
    with pytest.raises(DomainError) as refused:
        await demos.demo_of_reseller(session, demo_id=demo.id, reseller=ivo)
    assert refused.value.code == "demo_not_found"


async def test_upcoming_demos_are_paged_soonest_first_and_hide_cancelled_and_finished(session):
    marta = await make_user(session)
    made = [await make_demo(session, reseller=marta, starts_at=NOW + timedelta(days=n)) for n in (3, 1, 2)]
    await demos.cancel_demo(session, demo=made[2], now=NOW)
    page, total = await demos.upcoming_demos(session, reseller_id=marta.id, now=NOW, limit=1)
    assert total == 2 and page[0].id == made[1].id
    page, total = await demos.upcoming_demos(
        session, reseller_id=marta.id, now=made[1].starts_at + timedelta(hours=3), limit=5
    )
    assert [d.id for d in page] == [made[0].id]


async def test_times_come_back_as_aware_utc(session, db):
    demo = await make_demo(session, reseller=await make_user(session))
    await session.commit()
    async with db.session_scope() as other:
        again = await other.get(demos.Demo, demo.id)
    assert again.starts_at == demo.starts_at and again.starts_at.utcoffset() == timedelta(0)


def test_the_latest_day_is_18_months_ahead_and_stays_in_short_months():
    from datetime import date

    from models.demos import latest_day

    assert latest_day(date(2031, 3, 20)) == date(2032, 9, 20)
    assert latest_day(date(2031, 8, 31)) == date(2033, 2, 28)
    assert latest_day(date(2030, 8, 31)) == date(2032, 2, 29)  # a leap year
