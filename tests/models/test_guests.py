"""RSVP, capacity and the waiting list, guests added by hand, check-in (erasure: test_privacy)."""

from datetime import timedelta

import pytest

from models import DomainError, demos, guests
from tests.factories import NOW, make_demo, make_user


async def _rsvp(session, demo, name="Ada", **kw):
    user = await make_user(session, role=None, name=name)
    return await guests.rsvp(
        session, demo=demo, user=user, name=name, phone=kw.get("phone"), region="IT", consent_at=NOW, now=NOW
    ), user


async def test_rsvp_stores_the_consent_time_and_a_full_demo_puts_guests_on_the_waiting_list(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await guests.set_capacity(session, demo=demo, capacity=2, now=NOW)
    first, _u = await _rsvp(session, demo, "Ada", phone="333 111 2222")
    second, _u = await _rsvp(session, demo, "Bea")
    third, _u = await _rsvp(session, demo, "Cleo")
    assert [g.status for g in (first, second, third)] == ["going", "going", "waitlist"]
    assert first.consent_at == NOW and first.phone == "+39 333 111 2222"


async def test_a_freed_place_goes_to_the_first_on_the_waiting_list(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await guests.set_capacity(session, demo=demo, capacity=1, now=NOW)
    ada, _u = await _rsvp(session, demo, "Ada")
    bea, _u = await _rsvp(session, demo, "Bea")
    cleo, _u = await _rsvp(session, demo, "Cleo")
    promoted = await guests.cancel_rsvp(session, guest=ada, demo=demo, now=NOW)
    assert [g.id for g in promoted] == [bea.id] and cleo.status == "waitlist"
    with pytest.raises(DomainError) as again:
        await guests.cancel_rsvp(session, guest=ada, demo=demo, now=NOW)
    assert again.value.code == "already_not_coming"
    assert [g.id for g in await guests.set_capacity(session, demo=demo, capacity=None, now=NOW)] == [cleo.id]


async def test_registering_twice_is_refused_but_coming_back_after_cancelling_works(session):
    demo = await make_demo(session, reseller=await make_user(session))
    ada, user = await _rsvp(session, demo, "Ada")
    with pytest.raises(DomainError) as twice:
        await guests.rsvp(session, demo=demo, user=user, name="Ada", phone=None, region="IT", consent_at=NOW, now=NOW)
    assert twice.value.code == "already_registered"
    await guests.cancel_rsvp(session, guest=ada, demo=demo, now=NOW)
    back = await guests.rsvp(
        session, demo=demo, user=user, name="Ada B", phone=None, region="IT", consent_at=NOW, now=NOW
    )
    assert back.id == ada.id and back.status == "going" and back.name == "Ada B"


async def test_the_guest_link_of_a_cancelled_or_finished_demo_is_refused(session):
    demo = await make_demo(session, reseller=await make_user(session))
    assert (await guests.demo_for_guest_link(session, token=demo.guest_token, now=NOW)).id == demo.id
    with pytest.raises(DomainError) as over:
        await guests.demo_for_guest_link(session, token=demo.guest_token, now=demo.ends_at)
    assert over.value.code == "demo_over"
    await demos.cancel_demo(session, demo=demo, now=NOW)
    with pytest.raises(DomainError) as cancelled:
        await guests.demo_for_guest_link(session, token=demo.guest_token, now=NOW)
    assert cancelled.value.code == "demo_cancelled"
    with pytest.raises(DomainError) as unknown:
        await guests.demo_for_guest_link(session, token="nope", now=NOW)
    assert unknown.value.code == "guest_link_unknown"


async def test_guests_added_by_hand_are_flagged_as_not_informed_and_count_even_past_capacity(session):
    demo = await make_demo(session, reseller=await make_user(session))
    await guests.set_capacity(session, demo=demo, capacity=1, now=NOW)
    await _rsvp(session, demo, "Ada")
    walk_in = await guests.add_guest_by_hand(session, demo=demo, name="Dora", phone=None, region="IT", now=NOW)
    assert (walk_in.status, walk_in.consent_at, walk_in.user_id) == ("going", None, None)
    late, _u = await _rsvp(session, demo, "Eva")
    assert late.status == "waitlist"


async def test_check_in_toggles_and_only_the_owner_reseller_reaches_a_guest(session):
    marta, ivo = await make_user(session), await make_user(session, name="Ivo")
    demo = await make_demo(session, reseller=marta)
    ada, _u = await _rsvp(session, demo, "Ada")
    await guests.check_in(session, guest=ada, now=NOW + timedelta(days=5))
    assert ada.checked_in_at == NOW + timedelta(days=5)
    await guests.check_in(session, guest=ada, now=NOW)
    assert ada.checked_in_at is None
    assert (await guests.guest_of_reseller(session, guest_id=ada.id, reseller=marta))[0].id == ada.id
    with pytest.raises(DomainError):
        await guests.guest_of_reseller(session, guest_id=ada.id, reseller=ivo)


@pytest.mark.parametrize("capacity", [0, -1, 501])
async def test_capacity_limits(session, capacity):
    demo = await make_demo(session, reseller=await make_user(session))
    with pytest.raises(DomainError):
        await guests.set_capacity(session, demo=demo, capacity=capacity, now=NOW)


def test_the_area_is_the_town_and_never_the_street():
    assert demos.Demo(address="Via Garibaldi 12, Torino").area == "Torino"
    assert demos.Demo(address="Via Garibaldi 12").area is None
