"""Invites and the sales force: who may join, once, and under whom."""

from datetime import timedelta

import pytest

from models import DomainError, users
from tests.factories import NOW, make_user


async def test_an_invite_makes_a_reseller_under_the_inviter(session):
    marta = await make_user(session)
    invite = await users.create_invite(session, inviter=marta, now=NOW)
    newcomer = await make_user(session, role=None, name="Lia")
    await users.redeem_invite(session, token=invite.token, user=newcomer, now=NOW + timedelta(days=6))
    assert (newcomer.role, newcomer.upline_id, invite.used_by_id) == ("reseller", marta.id, newcomer.id)


async def test_an_invite_expires_after_seven_days(session):
    invite = await users.create_invite(session, inviter=await make_user(session), now=NOW)
    late = await make_user(session, role=None)
    with pytest.raises(DomainError) as expired:
        await users.redeem_invite(session, token=invite.token, user=late, now=NOW + timedelta(days=7))
    assert expired.value.code == "invite_expired" and late.role is None


async def test_an_invite_is_usable_once(session):
    invite = await users.create_invite(session, inviter=await make_user(session), now=NOW)
    await users.redeem_invite(session, token=invite.token, user=await make_user(session, role=None), now=NOW)
    with pytest.raises(DomainError) as used:
        await users.redeem_invite(session, token=invite.token, user=await make_user(session, role=None), now=NOW)
    assert used.value.code == "invite_used"


async def test_hosts_cannot_create_invites_and_resellers_need_none(session):
    with pytest.raises(DomainError):
        await users.create_invite(session, inviter=await make_user(session, role=None), now=NOW)
    invite = await users.create_invite(session, inviter=await make_user(session), now=NOW)
    with pytest.raises(DomainError) as already:
        await users.redeem_invite(session, token=invite.token, user=await make_user(session), now=NOW)
    assert already.value.code == "invite_already_seller"


@pytest.mark.parametrize(("name", "result"), [("  Giulia   Verdi ", "Giulia Verdi"), ("", None), ("x" * 65, None)])
def test_display_names_are_tidied_and_bounded(name, result):
    if result:
        assert users.validate_display_name(name) == result
    else:
        with pytest.raises(DomainError):
            users.validate_display_name(name)
