"""The host's reward for a party: product credit as a share of the party's sales once they pass
a threshold, plus a bonus for each new demo booked at the party. Read from a TOML table.

A booking earns the bonus only once the booked demo has taken place: it is not cancelled or
declined and its start time has passed. A booking still to come is shown apart and earns
nothing yet; a cancelled one never does. (Whether the host confirmed through the bot does not
matter: many hosts are booked by phone and never open their link.)"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import DomainError, core_rows
from models.demos import OPEN_STATUSES, Demo
from models.money import is_currency, parse_amount, percent_of
from models.orders import demo_retail_sales, retail_by_demo


@dataclass(frozen=True)
class RewardTier:
    min_sales_minor: int
    rate_bp: int


@dataclass(frozen=True)
class RewardTable:
    currency: str
    tiers: tuple[RewardTier, ...]  # ascending thresholds
    booking_bonus_minor: int


@dataclass(frozen=True)
class HostReward:
    sales_minor: int
    rate_bp: int
    credit_minor: int
    bookings: int
    bookings_bonus_minor: int
    next_tier: RewardTier | None
    bookings_pending: int = 0  # booked at the party, not held yet: no bonus until they are

    @property
    def total_minor(self) -> int:
        return self.credit_minor + self.bookings_bonus_minor


def parse_reward_table(text: str) -> RewardTable:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DomainError("rewards_invalid", reason=str(error)) from None
    currency = str(data.get("currency", ""))
    if not is_currency(currency):
        raise DomainError("rewards_invalid", reason=f"currency {currency!r} is not an ISO 4217 code")
    try:
        tiers = tuple(
            sorted(
                (
                    RewardTier(parse_amount(str(t["min_sales"]), currency), int(t["rate_bp"]))
                    for t in data.get("tiers", [])
                ),
                key=lambda t: t.min_sales_minor,
            )
        )
        bonus = parse_amount(str(data.get("booking_bonus", "0")), currency)
    except (KeyError, TypeError, ValueError, DomainError) as error:
        raise DomainError("rewards_invalid", reason=f"each tier needs min_sales and rate_bp ({error})") from None
    if any(not 0 <= t.rate_bp <= 10_000 or t.min_sales_minor < 0 for t in tiers) or bonus < 0:
        raise DomainError("rewards_invalid", reason="rates are basis points from 0 to 10000; amounts are not negative")
    return RewardTable(currency, tiers, bonus)


def host_reward(table: RewardTable, *, sales_minor: int, bookings: int, bookings_pending: int = 0) -> HostReward:
    reached = [t for t in table.tiers if sales_minor >= t.min_sales_minor]
    rate = reached[-1].rate_bp if reached else 0
    upcoming = [t for t in table.tiers if sales_minor < t.min_sales_minor]
    return HostReward(
        sales_minor=sales_minor,
        rate_bp=rate,
        credit_minor=percent_of(sales_minor, rate),
        bookings=bookings,
        bookings_bonus_minor=bookings * table.booking_bonus_minor,
        next_tier=upcoming[0] if upcoming else None,
        bookings_pending=bookings_pending,
    )


@cache
def _bookings_statement() -> Any:
    """Per party: the demos booked there that have taken place by `now`, and those still to come."""
    held = Demo.starts_at <= bindparam("now")
    return (
        select(
            Demo.source_demo_id,
            func.count(case((held, Demo.id))),
            func.count(case((~held, Demo.id))),
        )
        .where(Demo.source_demo_id.in_(bindparam("demo_ids", expanding=True)), Demo.status.in_(OPEN_STATUSES))
        .group_by(Demo.source_demo_id)
    )


async def booking_counts(session: AsyncSession, *, demo_ids: list[int], now: datetime) -> dict[int, tuple[int, int]]:
    """Per party, the demos booked there (not cancelled or declined): (taken place by `now`, still
    to come). Only those that have taken place earn the booking bonus. One grouped query."""
    rows = await core_rows(session, _bookings_statement(), {"demo_ids": list(demo_ids), "now": now})
    return {demo_id: (int(held), int(pending)) for demo_id, held, pending in rows}


async def bookings_from(session: AsyncSession, *, demo_id: int, now: datetime) -> int:
    """Demos booked at the party that have taken place by `now`: each earns the booking bonus."""
    return (await booking_counts(session, demo_ids=[demo_id], now=now)).get(demo_id, (0, 0))[0]


async def party_reward(session: AsyncSession, *, table: RewardTable, demo_id: int, now: datetime) -> HostReward:
    held, pending = (await booking_counts(session, demo_ids=[demo_id], now=now)).get(demo_id, (0, 0))
    return host_reward(
        table,
        sales_minor=await demo_retail_sales(session, demo_id=demo_id),
        bookings=held,
        bookings_pending=pending,
    )


async def party_rewards(
    session: AsyncSession, *, table: RewardTable, demo_ids: list[int], now: datetime
) -> dict[int, HostReward]:
    """party_reward for many demos in two grouped queries (the same booking rule: a booked demo
    earns its bonus once it has taken place)."""
    sales = await retail_by_demo(session, demo_ids=demo_ids)
    bookings = await booking_counts(session, demo_ids=demo_ids, now=now)
    return {
        demo_id: host_reward(
            table,
            sales_minor=sales.get(demo_id, 0),
            bookings=bookings.get(demo_id, (0, 0))[0],
            bookings_pending=bookings.get(demo_id, (0, 0))[1],
        )
        for demo_id in set(sales) | set(bookings)
    }
