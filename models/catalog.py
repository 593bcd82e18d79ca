"""Products: imported from a CSV file, sold at the price of the day (orders keep theirs)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime
from models.money import is_currency, parse_amount
from models.text import clean_text

SKU_MAX = 32
PRODUCT_NAME_MAX = 120
COLUMNS = ("sku", "name", "price", "currency", "active")
TRUE_WORDS = {"1", "yes", "y", "true", "si", "sì", "x", ""}
FALSE_WORDS = {"0", "no", "n", "false"}


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(PRODUCT_NAME_MAX))
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass
class LineError:
    line: int
    code: str
    params: dict[str, Any]


@dataclass
class ImportResult:
    created: int
    updated: int


class CatalogFileError(DomainError):
    """Every bad line, by number; nothing was imported."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("catalog_invalid", count=len(errors))
        self.errors = errors


def _row(line: int, row: dict[str, Any], seen: set[str]) -> tuple[dict[str, Any] | None, list[LineError]]:
    errors = []
    sku = (row.get("sku") or "").strip()
    name = clean_text(row.get("name"))
    currency = (row.get("currency") or "").strip().upper()
    active_word = (row.get("active") or "").strip().casefold()
    if not sku or len(sku) > SKU_MAX:
        errors.append(LineError(line, "catalog_sku", {"limit": SKU_MAX}))
    elif sku.casefold() in seen:
        errors.append(LineError(line, "catalog_sku_twice", {"sku": sku}))
    if not name or len(name) > PRODUCT_NAME_MAX:
        errors.append(LineError(line, "catalog_name", {"limit": PRODUCT_NAME_MAX}))
    if not is_currency(currency):
        errors.append(LineError(line, "catalog_currency", {"currency": currency}))
        price = None
    else:
        try:
            price = parse_amount(row.get("price") or "", currency)
        except DomainError:
            errors.append(LineError(line, "catalog_price", {"price": row.get("price") or ""}))
            price = None
        else:
            if price <= 0:
                errors.append(LineError(line, "catalog_price_not_positive", {"price": row.get("price")}))
    if active_word not in TRUE_WORDS | FALSE_WORDS:
        errors.append(LineError(line, "catalog_active", {"value": row.get("active")}))
    seen.add(sku.casefold())
    if errors:
        return None, errors
    return {
        "sku": sku,
        "name": name,
        "unit_price_minor": price,
        "currency": currency,
        "active": active_word not in FALSE_WORDS,
    }, []


def read_catalog(text: str) -> list[dict[str, Any]]:
    """Parses and checks the whole file first: a file with any bad line imports nothing."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS[:4] if c not in header]
    if missing:
        raise CatalogFileError([LineError(1, "catalog_columns", {"columns": ", ".join(missing)})])
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    errors: list[LineError] = []
    seen: set[str] = set()
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # blank line
        parsed, problems = _row(reader.line_num, row, seen)
        errors += problems
        if parsed:
            rows.append(parsed)
    if errors:
        raise CatalogFileError(errors)
    return rows


async def import_catalog(session: AsyncSession, *, text: str, now: datetime) -> ImportResult:
    rows = read_catalog(text)
    existing = {p.sku.casefold(): p for p in (await session.scalars(select(Product))).all()}
    created = updated = 0
    for row in rows:
        product = existing.get(row["sku"].casefold())
        if product is None:
            session.add(Product(updated_at=now, **row))
            created += 1
        else:
            for key, value in row.items():
                if key != "sku":  # matched without regard to case; the SKU as first written stays
                    setattr(product, key, value)
            product.updated_at = now
            updated += 1
    await session.flush()
    return ImportResult(created, updated)


async def active_products(session: AsyncSession, *, offset: int = 0, limit: int | None = None) -> list[Product]:
    query = (
        select(Product).where(Product.active.is_(True)).order_by(Product.name, Product.id).offset(offset).limit(limit)
    )
    return list((await session.scalars(query)).all())


async def count_active_products(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Product).where(Product.active.is_(True))) or 0


async def find_products(session: AsyncSession, query: str, *, limit: int = 8) -> list[Product]:
    """An exact SKU first; else active products whose name or SKU contains the words."""
    query = clean_text(query)
    exact = await session.scalar(select(Product).where(func.lower(Product.sku) == query.lower()))
    if exact is not None:
        return [exact]
    conditions = [
        or_(func.lower(Product.name).contains(word.lower()), func.lower(Product.sku).contains(word.lower()))
        for word in query.split()
    ]
    if not conditions:
        return []
    found = await session.scalars(
        select(Product).where(Product.active.is_(True), *conditions).order_by(Product.name).limit(limit)
    )
    return list(found.all())
