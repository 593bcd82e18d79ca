"""Small factories for domain tests: real rows, sensible defaults, overridable."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from models import demos
from models.users import Role, User

NOW = datetime(2031, 3, 20, 9, 0, tzinfo=timezone.utc)
_telegram_ids = itertools.count(10_000)


async def make_user(session: AsyncSession, *, role: Role | None = Role.RESELLER, name: str = "Marta", **fields) -> User:
    user = User(telegram_id=next(_telegram_ids), role=role, display_name=name, locale=fields.pop("locale", "it"),
                timezone=fields.pop("timezone", "Europe/Rome"), onboarded=True, created_at=fields.pop("created_at", NOW), **fields)
    session.add(user)
    await session.flush()
    return user


async def make_demo(session: AsyncSession, *, reseller: User, starts_at: datetime | None = None, duration_minutes: int = 120, **fields) -> demos.Demo:
    return await demos.schedule_demo(
        session, reseller=reseller, host_name=fields.pop("host_name", "Anna"), host_phone=fields.pop("host_phone", None),
        address=fields.pop("address", "Via Roma 1, Torino"), starts_at=starts_at or NOW + timedelta(days=5),
        duration_minutes=duration_minutes, notes=fields.pop("notes", None), timezone="Europe/Rome", now=fields.pop("now", NOW),
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
