"""The team tree (upline and downline, from invite links), and what admins may change in it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import CTE, BindParameter, Select, bindparam, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError, core_rows, rowcount
from models.demos import OPEN_STATUSES, Demo, DemoStatus
from models.orders import sales_by_reseller_query
from models.users import Role, User


@dataclass(frozen=True)
class Member:
    user: User
    depth: int  # 1: recruited by the root


class Branch(NamedTuple):
    """A member as the team list needs them before a page is chosen: no more than this (a
    tuple: a team of 10,000 makes 10,000 of them for each page shown)."""

    user_id: int
    name: str
    depth: int  # 1: recruited by the root
    upline_id: int


class Leaf(NamedTuple):
    """A member as the team checks need them: where they hang, and whether they are active."""

    user_id: int
    upline_id: int
    deactivated_at: datetime | None


def downline_cte(root_id: int | BindParameter[Any]) -> CTE:
    """Everyone below the root, at any depth, with their depth: one recursive query."""
    below = select(User.id, literal(1).label("depth")).where(User.upline_id == root_id).cte("below", recursive=True)
    return below.union_all(select(User.id, below.c.depth + 1).where(User.upline_id == below.c.id))


def _depth_first(
    rows: Sequence[Any], root_id: int, *, upline: Callable[[Any], int], user_id: Callable[[Any], int]
) -> list[Any]:
    """Each member followed by their own downline; siblings keep the rows' order (the
    database's, by name: its collation, as before)."""
    children: dict[int, list[Any]] = {}
    for row in rows:
        children.setdefault(upline(row), []).append(row)
    ordered, stack = [], list(reversed(children.get(root_id, [])))
    while stack:
        row = stack.pop()
        ordered.append(row)
        stack.extend(reversed(children.get(user_id(row), [])))
    return ordered


@cache
def _outline_statement() -> Select[Any]:
    below = downline_cte(bindparam("root"))
    return (
        select(User.id, User.display_name, below.c.depth, User.upline_id)
        .join(below, below.c.id == User.id)
        .order_by(User.display_name, User.id)
    )


@cache
def _tree_statement() -> Select[Any]:
    below = downline_cte(bindparam("root"))
    return select(User, below.c.depth).join(below, below.c.id == User.id).order_by(User.display_name, User.id)


@cache
def _leaves_statement() -> Select[Any]:
    below = downline_cte(bindparam("root"))
    return (
        select(User.id, User.upline_id, User.deactivated_at)
        .join(below, below.c.id == User.id)
        .order_by(User.display_name, User.id)
    )


async def leaves(session: AsyncSession, *, root: User) -> list[Leaf]:
    """The whole downline in tree order (as tree() has it), without loading anyone."""
    rows = (await core_rows(session, _leaves_statement(), {"root": root.id})).all()
    return [Leaf._make(row) for row in _depth_first(rows, root.id, upline=itemgetter(1), user_id=itemgetter(0))]


@cache
def _users_statement() -> Select[Any]:
    return select(User).where(User.id.in_(bindparam("ids", expanding=True)))


async def outline(session: AsyncSession, *, root: User) -> list[Branch]:
    """The whole downline in tree order, ids and names only: enough to count, page and search a
    team of thousands in one query, then load only the page shown."""
    rows = (await core_rows(session, _outline_statement(), {"root": root.id})).all()
    return [Branch._make(row) for row in _depth_first(rows, root.id, upline=itemgetter(3), user_id=itemgetter(0))]


async def tree(session: AsyncSession, *, root: User) -> list[Member]:
    """Depth first, each member followed by their own downline, alphabetically."""
    rows = (await session.execute(_tree_statement(), {"root": root.id})).all()
    ordered = _depth_first(rows, root.id, upline=lambda r: r[0].upline_id, user_id=lambda r: r[0].id)
    return [Member(user, depth) for user, depth in ordered]


async def users_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in (await session.scalars(_users_statement(), {"ids": list(ids)})).all()}


class Shown(NamedTuple):
    """A member as a page of /team shows them."""

    id: int
    display_name: str
    role: Role | None
    deactivated_at: datetime | None


@cache
def _page_statement() -> Select[Any]:
    """The members shown on a page of /team with their week's retail sales and when their last
    demo started: one statement for the page."""
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    sales = sales_by_reseller_query(ids).subquery("sales")
    # The last demo the host confirmed and that has begun, and the next one still to start.
    last = (
        select(Demo.reseller_id, func.max(Demo.starts_at).label("last"))
        .where(Demo.reseller_id.in_(ids), Demo.starts_at <= bindparam("now"), Demo.status == DemoStatus.CONFIRMED)
        .group_by(Demo.reseller_id)
        .subquery("last")
    )
    upcoming = (
        select(Demo.reseller_id, func.min(Demo.starts_at).label("next"))
        .where(Demo.reseller_id.in_(ids), Demo.starts_at > bindparam("now"), Demo.status.in_(OPEN_STATUSES))
        .group_by(Demo.reseller_id)
        .subquery("upcoming")
    )
    return (
        select(
            User.id,
            User.display_name,
            User.role,
            User.deactivated_at,
            func.coalesce(sales.c.retail_minor, 0),
            last.c.last,
            upcoming.c.next,
        )
        .outerjoin(sales, sales.c.reseller_id == User.id)
        .outerjoin(last, last.c.reseller_id == User.id)
        .outerjoin(upcoming, upcoming.c.reseller_id == User.id)
        .where(User.id.in_(ids))
    )


async def with_week_sales(
    session: AsyncSession, *, ids: Sequence[int], start: datetime, end: datetime, currency: str, now: datetime
) -> dict[int, tuple[Shown, int, datetime | None, datetime | None]]:
    """Each member with their retail sales between start and end, when their last confirmed demo
    started and when their next one starts."""
    if not ids:
        return {}
    values = {"ids": list(ids), "start": start, "end": end, "currency": currency, "now": now}
    rows = await core_rows(session, _page_statement(), values)
    return {row[0]: (Shown(*row[:4]), int(row[4]), row[5], row[6]) for row in rows}


def _folded(text: str) -> str:
    """For matching names: case and accents do not count (“nicolo” finds Nicolò)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def matching(branches: Sequence[Branch], words: str) -> list[Branch]:
    """The members whose name contains every one of the words, in tree order."""
    wanted = _folded(words).split()
    return [b for b in branches if all(word in _folded(b.name) for word in wanted)]


async def in_team_of(session: AsyncSession, *, viewer: User, member_id: int) -> User:
    """The member, if the viewer may see them: themselves, their downline, or anyone for an admin."""
    member = await session.get(User, member_id)
    if member is None:
        raise DomainError("member_not_found")
    if viewer.is_admin or member.id == viewer.id:
        return member
    # The member's upline chain, however long, in one recursive query.
    above = select(User.upline_id.label("id")).where(User.id == member.id).cte("above", recursive=True)
    above = above.union_all(
        select(User.upline_id).join(above, User.id == above.c.id).where(User.upline_id.is_not(None))
    )
    if await session.scalar(select(above.c.id).where(above.c.id == viewer.id).limit(1)) is not None:
        return member
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
    return rowcount(moved)
