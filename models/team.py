"""The team tree (upline and downline, from invite links), and what admins may change in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError
from models.users import Role, User


@dataclass(frozen=True)
class Member:
    user: User
    depth: int  # 1: recruited by the root


async def tree(session: AsyncSession, *, root: User) -> list[Member]:
    """Depth first, each member followed by their own downline, alphabetically."""
    members: list[Member] = []

    async def walk(user_id: int, depth: int) -> None:
        children = (await session.scalars(select(User).where(User.upline_id == user_id).order_by(User.display_name, User.id))).all()
        for child in children:
            members.append(Member(child, depth))
            await walk(child.id, depth + 1)

    await walk(root.id, 1)
    return members


async def in_team_of(session: AsyncSession, *, viewer: User, member_id: int) -> User:
    """The member, if the viewer may see them: themselves, their downline, or anyone for an admin."""
    member = await session.get(User, member_id)
    if member is None:
        raise DomainError("member_not_found")
    if viewer.is_admin or member.id == viewer.id:
        return member
    current = member
    while current.upline_id is not None:
        if current.upline_id == viewer.id:
            return member
        current = await session.get(User, current.upline_id)
    raise DomainError("member_not_found")


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise DomainError("admins_only")


async def promote_to_manager(session: AsyncSession, *, actor: User, member: User) -> User:
    _require_admin(actor)
    if not member.is_seller or member.role != Role.RESELLER:
        raise DomainError("cannot_promote")
    member.role = Role.MANAGER
    await session.flush()
    return member


async def deactivate(session: AsyncSession, *, actor: User, member: User, now: datetime) -> int:
    """Access removed, history kept; the member's direct recruits move up to the member's upline.
    Returns how many were moved."""
    _require_admin(actor)
    if member.id == actor.id or member.deactivated_at is not None or not member.is_seller:
        raise DomainError("cannot_deactivate")
    member.deactivated_at = now
    moved = await session.execute(update(User).where(User.upline_id == member.id).values(upline_id=member.upline_id))
    await session.flush()
    return moved.rowcount
