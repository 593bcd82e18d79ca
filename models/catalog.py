"""Products: imported from a CSV file, sold at the price of the day (orders keep theirs).

A product has a default name (the catalog's `name` column) and may have one per language
(`name_it`, `name_en`, `name_de`, `name_es`, `name_fr`); a language without one shows the default.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Integer, String, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DomainError, UTCDateTime
from models.money import is_currency, parse_amount
from models.text import clean_text

SKU_MAX = 32
PRODUCT_NAME_MAX = 120
COLUMNS = ("sku", "name", "price", "currency", "active")
# The languages a product may be named in: one optional CSV column and one column each.
NAME_LANGUAGES = ("it", "en", "de", "es", "fr")
NAME_COLUMNS = tuple(f"name_{lang}" for lang in NAME_LANGUAGES)
TRUE_WORDS = {"1", "yes", "y", "true", "si", "sì", "x", ""}
FALSE_WORDS = {"0", "no", "n", "false"}


@dataclass(frozen=True)
class Names:
    """A product's names, detached from the session: what an error raised inside a transaction
    keeps, so that the refusal names the product in the reader's language after the rollback."""

    default: str
    by_language: tuple[tuple[str, str], ...] = ()

    def name_in(self, lang: str) -> str:
        return dict(self.by_language).get(lang) or self.default

    def __str__(self) -> str:
        return self.default


class NamedInLanguages:
    """A default name and, optionally, one per language: products and the order lines that keep
    the names a product was sold under."""

    name: Mapped[str] = mapped_column(String(PRODUCT_NAME_MAX))
    name_it: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_MAX))
    name_en: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_MAX))
    name_de: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_MAX))
    name_es: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_MAX))
    name_fr: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_MAX))

    def name_in(self, lang: str) -> str:
        """The name in `lang`, else the catalog's default."""
        return (getattr(self, f"name_{lang}", None) if lang in NAME_LANGUAGES else None) or self.name

    def shown_names(self) -> Names:
        """The names as a value that outlives the session (for a DomainError's parameters)."""
        return Names(
            self.name,
            tuple((lang, value) for lang in NAME_LANGUAGES if (value := getattr(self, f"name_{lang}", None))),
        )

    def names(self) -> dict[str, str | None]:
        return {"name": self.name, **{column: getattr(self, column) for column in NAME_COLUMNS}}


def name_column(lang: str) -> ColumnElement[str]:
    """The SQL expression of the name shown in `lang`, for sorting."""
    column = getattr(Product, f"name_{lang}") if lang in NAME_LANGUAGES else Product.name
    return func.coalesce(column, Product.name)


class Product(NamedInLanguages, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(SKU_MAX), unique=True)
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
    translated = {column: clean_text(row.get(column)) or None for column in NAME_COLUMNS}
    for column, value in translated.items():
        if value and len(value) > PRODUCT_NAME_MAX:
            errors.append(LineError(line, "catalog_name_language", {"column": column, "limit": PRODUCT_NAME_MAX}))
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
        **translated,
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


async def active_products(
    session: AsyncSession, *, lang: str, offset: int = 0, limit: int | None = None
) -> list[Product]:
    """In the alphabetical order of the names the reader sees."""
    query = (
        select(Product)
        .where(Product.active.is_(True))
        .order_by(name_column(lang), Product.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def count_active_products(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Product).where(Product.active.is_(True))) or 0


async def find_products(session: AsyncSession, query: str, *, lang: str, limit: int = 8) -> list[Product]:
    """An exact SKU first; else active products whose name (in any language) or SKU contains the words."""
    query = clean_text(query)
    exact = await session.scalar(select(Product).where(func.lower(Product.sku) == query.lower()))
    if exact is not None:
        return [exact]
    searched = [Product.sku, Product.name, *(getattr(Product, column) for column in NAME_COLUMNS)]
    conditions = [or_(*(func.lower(column).contains(word.lower()) for column in searched)) for word in query.split()]
    if not conditions:
        return []
    found = await session.scalars(
        select(Product).where(Product.active.is_(True), *conditions).order_by(name_column(lang)).limit(limit)
    )
    return list(found.all())
