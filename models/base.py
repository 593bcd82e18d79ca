"""Declarative base, shared column types and the domain error."""

from __future__ import annotations

import enum
import functools
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    DateTime,
    Dialect,
    Enum,
    Executable,
    MetaData,
    Result,
    Select,
    Table,
    TextClause,
    bindparam,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and on SQLite alike
    (SQLite keeps no offset, so a naive value read back is UTC by construction)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(choices: type[enum.StrEnum], *, length: int) -> Enum:
    """Statuses, kinds and roles as Python enums in the code, stored as the VARCHAR of their
    values that they always were: no database enum type and no CHECK, so no data migration."""
    return Enum(
        choices,
        native_enum=False,
        values_callable=lambda members: [m.value for m in members],
        length=length,
        validate_strings=True,
    )


class DomainError(Exception):
    """A rule said no. `code` picks the message the user sees; `params` fill it in."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_Row = TypeVar("_Row", bound=tuple[Any, ...])
READ_ONLY = "read_only"  # AsyncSession.info key: True in a transaction that only reads (bot.db.read_scope)


def for_change(statement: Select[_Row], session: AsyncSession) -> Select[_Row]:
    """SELECT ... FOR UPDATE when the transaction may change what it reads (so that two changes of
    one row queue instead of overwriting each other); as it is in a transaction that only reads,
    which changes nothing and need hold no one up (PostgreSQL refuses FOR UPDATE there)."""
    return statement if session.info.get(READ_ONLY) else statement.with_for_update()


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (its result is a cursor result)."""
    return cast(CursorResult[Any], result).rowcount


async def core_rows(
    session: AsyncSession, statement: Executable, values: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Runs a statement that loads no entities on the session's connection, past the ORM's
    row processing (a third of the time for a statement's 80,000 lines): same transaction."""
    return await (await session.connection()).execute(statement, values or {})


@functools.cache
def insert_on_conflict(
    model: type[Base], columns: tuple[str, ...], *, keys: tuple[str, ...], update: bool = False
) -> TextClause:
    """INSERT … ON CONFLICT (keys): DO UPDATE the other columns (an upsert), or DO NOTHING and
    return the new row's keys (nothing returned: the row was there). Both databases speak this
    SQL alike (SQLite since 3.35). Written as text, once per statement: SQLAlchemy 2.0 never
    caches the compiled form of its dialect INSERTs that offer ON CONFLICT (their
    `inherit_cache` is False, https://github.com/sqlalchemy/sqlalchemy/issues/10445): built and
    compiled again, they cost 0.09 ms of every update (the handled-update record) and 0.25 ms of
    each conversation and draft upsert of every flow step; a text statement's compiled form is
    cached like any other. Bound values keep their columns' types (times in UTC, enums)."""
    table = cast(Table, model.__table__)
    names = ", ".join(f'"{column}"' for column in columns)
    placeholders = ", ".join(f":{column}" for column in columns)
    targets = ", ".join(f'"{key}"' for key in keys)
    if update:
        changes = ", ".join(f'"{column}" = excluded."{column}"' for column in columns if column not in keys)
        action = f"DO UPDATE SET {changes}"
    else:
        action = f"DO NOTHING RETURNING {targets}"
    statement = text(f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders}) ON CONFLICT ({targets}) {action}')
    return statement.bindparams(*(bindparam(column, type_=table.c[column].type) for column in columns))
