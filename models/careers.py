"""Career titles, earned by sales only.

The plan file's `[careers]` part is a ladder of titles, each with the personal and team retail
sales it takes over a period: the running calendar month and the months before it (`months`,
3 by default, company timezone). Personal sales are the advisor's own retail sales; team sales
are those plus the retail sales of their whole downline, at any depth. Both are net of
withdrawals and cancellations; own-use purchases never count (else buying stock would buy a
title). A title never depends on how many people someone recruited: a requirement that counts
people (`recruits`, `sign_ups`, `team_size`...) is what ties rank to recruitment in a pyramid
scheme (EU Directive 2005/29/EC, Annex I point 14; Italian Law 173/2005, art. 5). Such a title
is flagged (the loader's `flags`, shown by /compliance and logged at start-up) and never awarded;
any other unknown requirement makes the plan invalid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError
from models.money import parse_amount
from models.orders import Order, OrderKind, OrderLine, counted_amount
from models.users import User

REQUIREMENTS = ("personal_sales", "team_sales")
COUNTS_PEOPLE = re.compile(
    r"recruit|sign.?up|enrol|sponsor|invite|frontline|head.?count|team.?size|member|downline|legs?$|"
    r"people|advisors|distributors|joins?|joined|referr|personally.?introduced",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Title:
    names: Mapping[str, str]  # by language; "en" or the first one when the reader's is missing
    personal_sales_minor: int
    team_sales_minor: int

    def name_in(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()))


@dataclass(frozen=True)
class LadderFlag:
    """A title the plan would tie to recruiting: never awarded, shown to managers."""

    title: Title
    key: str
    line: int | None


@dataclass(frozen=True)
class Ladder:
    months: int
    titles: tuple[Title, ...]  # lowest first, each asking at least as much as the one before
    flags: tuple[LadderFlag, ...] = ()


def _invalid(reason: str, line: int | None) -> DomainError:
    return DomainError("plan_invalid", reason=reason, line=line or "?")


def _line(text: str, needle: str) -> int | None:
    """The line of the careers part where `needle` is set (a key) or else appears."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip().startswith("[careers")), 0)
    setting = re.compile(rf"^\s*\"?{re.escape(needle)}\"?\s*=")
    for wanted in (setting.search, lambda line: needle in line):
        found = next((n for n, line in enumerate(lines[start:], start + 1) if wanted(line)), None)
        if found is not None:
            return found
    return None


def _names(raw: object, text: str) -> dict[str, str]:
    if isinstance(raw, str) and raw.strip():
        return {"en": raw.strip()}
    if isinstance(raw, dict) and raw and all(isinstance(v, str) and v.strip() for v in raw.values()):
        return {str(k): str(v).strip() for k, v in raw.items()}
    raise _invalid("careers: each title needs a name, text or a table by language", _line(text, "[[careers.titles]]"))


def _title(raw: dict[str, Any], currency: str, text: str) -> tuple[Title, list[str]]:
    names = _names(raw.get("name"), text)
    people = [key for key in raw if key != "name" and key not in REQUIREMENTS and COUNTS_PEOPLE.search(key)]
    unknown = [key for key in raw if key != "name" and key not in REQUIREMENTS and key not in people]
    if unknown:
        raise _invalid(
            f"careers: unknown requirement {unknown[0]!r}; titles are earned by personal_sales and team_sales",
            _line(text, unknown[0]),
        )
    try:
        amounts = [parse_amount(str(raw.get(key, "0")), currency) for key in REQUIREMENTS]
    except DomainError:
        raise _invalid('careers: sales are amounts such as "1500.00"', _line(text, "_sales")) from None
    if min(amounts) < 0:
        raise _invalid("careers: sales requirements are not negative", _line(text, "_sales"))
    return Title(names, amounts[0], amounts[1]), people


def parse_ladder(raw: object, currency: str, text: str) -> Ladder | None:
    """The `[careers]` table of the plan file, or None when the plan has no titles."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _invalid("careers must be a table", _line(text, "careers"))
    months = raw.get("months", 3)
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
        raise _invalid("careers.months is a whole number of months from 1 to 24", _line(text, "months"))
    titles: list[Title] = []
    flags: list[LadderFlag] = []
    for entry in raw.get("titles", []):
        title, people = _title(entry, currency, text)
        if people:
            flags += [LadderFlag(title, key, _line(text, key)) for key in people]
            continue  # never awarded
        if titles and (
            title.personal_sales_minor < titles[-1].personal_sales_minor
            or title.team_sales_minor < titles[-1].team_sales_minor
        ):
            raise _invalid(
                "careers: each title must ask at least the sales of the one before it", _line(text, title.name_in("en"))
            )
        titles.append(title)
    return Ladder(months, tuple(titles), tuple(flags))


@dataclass(frozen=True)
class Standing:
    """Where a seller stands on the ladder over the period."""

    since: date  # the period's first day (company timezone); it runs to today
    personal_sales_minor: int
    team_sales_minor: int
    title: Title | None
    next_title: Title | None

    @property
    def missing_personal_minor(self) -> int:
        return max(0, self.next_title.personal_sales_minor - self.personal_sales_minor) if self.next_title else 0

    @property
    def missing_team_minor(self) -> int:
        return max(0, self.next_title.team_sales_minor - self.team_sales_minor) if self.next_title else 0


def period_start(now: datetime, *, months: int, tz: str) -> date:
    """The first day of the month `months - 1` before the running one."""
    today = now.astimezone(ZoneInfo(tz)).date()
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def place(ladder: Ladder, *, personal_minor: int, team_minor: int) -> tuple[Title | None, Title | None]:
    """The highest title reached and the next one (None at the top)."""
    reached: Title | None = None
    for title in ladder.titles:
        if personal_minor >= title.personal_sales_minor and team_minor >= title.team_sales_minor:
            reached = title
        else:
            return reached, title
    return reached, None


async def standings(
    session: AsyncSession, *, ladder: Ladder, user_ids: Sequence[int], now: datetime, tz: str, currency: str
) -> dict[int, Standing]:
    """Each seller's standing, in two statements whatever the number of sellers and the size of
    their teams: personal sales grouped by seller, team sales over a recursive walk down from
    each of them."""
    if not user_ids:
        return {}
    since = period_start(now, months=ladder.months, tz=tz)
    start = datetime.combine(since, time(0), tzinfo=ZoneInfo(tz))
    counted = (
        Order.kind == OrderKind.RETAIL,
        Order.currency == currency,
        Order.created_at >= start,
        Order.created_at <= now,
    )
    personal = dict(
        (
            await session.execute(
                select(Order.reseller_id, counted_amount())
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(Order.reseller_id.in_(user_ids), *counted)
                .group_by(Order.reseller_id)
            )
        )
        .tuples()
        .all()
    )
    walk = select(User.id.label("root"), User.id.label("member")).where(User.id.in_(user_ids)).cte(recursive=True)
    walk = walk.union_all(select(walk.c.root, User.id).where(User.upline_id == walk.c.member))
    team = dict(
        (
            await session.execute(
                select(walk.c.root, counted_amount())
                .join(Order, Order.reseller_id == walk.c.member)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(*counted)
                .group_by(walk.c.root)
            )
        )
        .tuples()
        .all()
    )
    result = {}
    for user_id in user_ids:
        mine, ours = int(personal.get(user_id, 0)), int(team.get(user_id, 0))
        title, following = place(ladder, personal_minor=mine, team_minor=ours)
        result[user_id] = Standing(since, mine, ours, title, following)
    return result
