"""Small factories for domain tests: real rows, sensible defaults, overridable."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models import demos
from models.users import Role, User

NOW = datetime(2031, 3, 20, 9, 0, tzinfo=UTC)
_telegram_ids = itertools.count(10_000)


async def make_user(session: AsyncSession, *, role: Role | None = Role.RESELLER, name: str = "Marta", **fields) -> User:
    user = User(
        telegram_id=next(_telegram_ids),
        role=role,
        display_name=name,
        locale=fields.pop("locale", "it"),
        timezone=fields.pop("timezone", "Europe/Rome"),
        onboarded=True,
        created_at=fields.pop("created_at", NOW),
        **fields,
    )
    session.add(user)
    await session.flush()
    return user


async def make_demo(
    session: AsyncSession, *, reseller: User, starts_at: datetime | None = None, duration_minutes: int = 120, **fields
) -> demos.Demo:
    return await demos.schedule_demo(
        session,
        reseller=reseller,
        host_name=fields.pop("host_name", "Anna"),
        host_phone=fields.pop("host_phone", None),
        address=fields.pop("address", "Via Roma 1, Torino"),
        starts_at=starts_at or NOW + timedelta(days=5),
        duration_minutes=duration_minutes,
        notes=fields.pop("notes", None),
        timezone="Europe/Rome",
        now=fields.pop("now", NOW),
        **fields,
    )


SAMPLE_CSV = """sku,name,price,currency,active
TM7,Kitchen robot TM7,1549.00,EUR,yes
SPAT,Spatula,14.90,EUR,yes
BOOK,Cookbook,34.90,EUR,yes
OLD,Old blender,89.00,EUR,no
"""


async def load_catalog(session: AsyncSession, text: str = SAMPLE_CSV) -> dict:
    from sqlalchemy import select

    from models.catalog import Product, import_catalog

    await import_catalog(session, text=text, now=NOW)
    return {p.sku: p for p in (await session.scalars(select(Product))).all()}


# ---- big lists, inserted in bulk (a few statements, not one flow per row) ----


async def make_guests(
    session: AsyncSession,
    *,
    demo: demos.Demo,
    count: int,
    name: Callable[[int], str] = "Guest {:03d}".format,
    phone: str | None = None,
    informed: bool = True,
) -> None:
    """`count` guests coming to the demo, numbered from 1 in the order they signed up."""
    from sqlalchemy import insert

    from models.guests import Guest, GuestStatus

    await session.execute(
        insert(Guest),
        [
            dict(
                demo_id=demo.id,
                user_id=None,
                name=name(n),
                phone=phone,
                status=GuestStatus.GOING,
                consent_at=NOW if informed else None,
                checked_in_at=None,
                created_at=NOW + timedelta(seconds=n),
                updated_at=NOW,
            )
            for n in range(1, count + 1)
        ],
    )


async def make_products(
    session: AsyncSession,
    *,
    count: int,
    name: Callable[[int], str] = "Product {:03d}".format,
    sku: Callable[[int], str] = "P{:03d}".format,
) -> None:
    from sqlalchemy import insert

    from models.catalog import Product

    await session.execute(
        insert(Product),
        [
            dict(sku=sku(n), name=name(n), unit_price_minor=1000 + n, currency="EUR", active=True, updated_at=NOW)
            for n in range(1, count + 1)
        ],
    )


async def make_team(session: AsyncSession, *, root: User, uplines: list[int], name: Callable[[int], str]) -> list[User]:
    """Members 1..len(uplines) below the root: member n is recruited by member uplines[n-1]
    (0 is the root; always an earlier member). Inserted a level at a time."""
    members: list[User] = [root]
    depth = [0]
    for n, upline in enumerate(uplines, 1):
        assert 0 <= upline < n, "a member's upline comes before them"
        members.append(
            User(
                telegram_id=next(_telegram_ids),
                role=Role.RESELLER,
                display_name=name(n),
                locale="it",
                timezone="Europe/Rome",
                onboarded=True,
                created_at=NOW,
            )
        )
        depth.append(depth[upline] + 1)
    for level in range(1, max(depth) + 1):
        for n in range(1, len(members)):
            if depth[n] == level:
                members[n].upline_id = members[uplines[n - 1]].id
                session.add(members[n])
        await session.flush()
    return members[1:]


async def make_own_use_orders(session: AsyncSession, *, resellers: list[User], at: datetime) -> None:
    """One own-use order each (a 100 € product, nothing sold to customers): two warning signs each."""
    from models.catalog import Product
    from models.orders import Order, OrderKind, OrderLine, OrderStatus

    product = Product(sku="STOCK", name="Stock", unit_price_minor=10_000, currency="EUR", active=True, updated_at=at)
    session.add(product)
    orders = [
        Order(
            reseller_id=r.id,
            kind=OrderKind.OWN_USE,
            currency="EUR",
            status=OrderStatus.CONFIRMED,
            at_home_demo=False,
            withdrawal_days=14,
            withdrawal_ends_at=at + timedelta(days=14),
            timezone="Europe/Rome",
            idempotency_key=f"own-{r.id}",
            created_at=at,
            updated_at=at,
        )
        for r in resellers
    ]
    session.add_all(orders)
    await session.flush()
    session.add_all(
        [
            OrderLine(
                order_id=o.id,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit_price_minor=product.unit_price_minor,
                quantity=1,
                withdrawn_quantity=0,
            )
            for o in orders
        ]
    )
    await session.flush()
