"""A company to measure roll-ups on: 10,000 advisors under one leader and 1,000,000 order lines
over the year before bench.common.NOW, with demos, guests, invites and three months of
commission entries. Built by the real migrations, then loaded in bulk (executemany on SQLite,
COPY on PostgreSQL) and analysed; prints the time taken (goal: under two minutes).

Leaders with exactly 10, 100, 1,000 and 10,000 people below them are named "Leader 10",
"Leader 100", ... (bench/rollups.py finds them by name). Everything is drawn from a fixed seed.

Run: .venv/bin/python bench/seed.py [--db sqlite|postgresql] [--url URL] [--advisors 10000] [--lines 1000000]
(SQLite: /tmp/homedemo-seed.sqlite3 by default; PostgreSQL: the `rollups` database, emptied first.)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import NOW, fresh_database

SQLITE_PATH = "/tmp/homedemo-seed.sqlite3"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/rollups"
TEAM_SIZES = (10, 100, 1_000, 10_000)
YEAR = timedelta(days=364)
LINES_PER_ORDER = 2.5
DEMOS_EACH, GUESTS_EACH = 10, 3
COMMISSION_DAYS = 90
PRODUCTS = 50


def sizes_for(advisors: int) -> list[int]:
    """The team sizes that fit the company (the whole company is the largest)."""
    return [size for size in TEAM_SIZES if size < advisors] + [advisors]


def team_tree(advisors: int, rng: random.Random) -> tuple[list[int | None], dict[int, int]]:
    """uplines[i] for users 1..advisors+1 (index 0 unused), and the leader of each team size:
    leaders nest (Leader 10 under Leader 100 under ...), every other member at random below."""
    uplines: list[int | None] = [None, None]  # user 1: the top leader
    leaders = {}
    sizes = sizes_for(advisors)
    chain = [1]
    for _size in sizes[:-1]:  # the smaller leaders, each under the next larger one
        uplines.append(chain[-1])
        chain.append(len(uplines) - 1)
    for size, leader in zip(reversed(sizes), chain, strict=True):
        leaders[size] = leader
    inner = 0  # people already below the current leader (the smaller leader and their team)
    for size in sizes:
        leader = leaders[size]
        nodes = [leader]
        for _n in range(size - inner - (1 if size != sizes[0] else 0)):
            uplines.append(rng.choice(nodes))
            nodes.append(len(uplines) - 1)
        inner = size
    return uplines, leaders


def sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Loader:
    """Rows in, the same way on both backends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn = sqlite3.connect(url.split("///", 1)[1])
            self.conn.execute("PRAGMA journal_mode=OFF")
            self.conn.execute("PRAGMA synchronous=OFF")
        else:
            import psycopg

            self.conn = psycopg.connect(url.replace("+psycopg", ""))

    def value(self, v):
        if isinstance(v, datetime):
            return sqlite_time(v) if self.sqlite else v
        if isinstance(v, bool) and self.sqlite:
            return int(v)
        return v

    def load(self, table: str, columns: tuple[str, ...], rows) -> int:
        count = 0
        if self.sqlite:
            marks = ",".join("?" * len(columns))

            def converted():
                nonlocal count
                for row in rows:
                    count += 1
                    yield tuple(self.value(v) for v in row)

            self.conn.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", converted())
        else:
            with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count

    def finish(self, tables: list[str]) -> None:
        if self.sqlite:
            self.conn.commit()
            self.conn.execute("ANALYZE")
        else:
            with self.conn.cursor() as cur:
                for table in tables:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")
        self.conn.close()


def people(uplines, leaders, rng):
    names = {leader: f"Leader {size}" for size, leader in leaders.items()}
    for user in range(1, len(uplines)):
        created = NOW - YEAR - timedelta(days=30) + timedelta(seconds=rng.randrange(int(YEAR.total_seconds())))
        role = "admin" if user == 1 else "manager" if user in names else "reseller"
        name = names.get(user, f"Advisor {user:05d} {rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}")
        yield (
            user,
            100_000 + user,
            role,
            name,
            "it" if user % 2 else "en",
            "Europe/Rome",
            uplines[user],
            True,
            created,
        )


def invites(uplines, rng):
    for user in range(2, len(uplines)):
        used = NOW - timedelta(seconds=rng.randrange(int(YEAR.total_seconds())))
        yield (user - 1, f"inv{user}", uplines[user], used - timedelta(days=1), used + timedelta(days=6), user, used)


def products():
    for n in range(1, PRODUCTS + 1):
        yield (n, f"SKU{n:03d}", f"Product {n}", 990 + 1000 * n, "EUR", True, NOW - YEAR)


def demo_rows(advisors: int, rng):
    statuses = ["confirmed"] * 8 + ["awaiting_host", "cancelled"]
    minutes = int((YEAR + timedelta(days=14)).total_seconds() // 60)
    for user in range(1, advisors + 2):
        for k in range(DEMOS_EACH):
            demo = (user - 1) * DEMOS_EACH + k + 1
            starts = NOW - YEAR + timedelta(minutes=rng.randrange(minutes))
            source = demo - 1 if k and rng.random() < 0.2 else None
            created = starts - timedelta(days=20)
            status = rng.choice(statuses)
            yield (
                *(demo, user, f"Host {demo}", "Via Roma 1", starts, 120, "Europe/Rome", status),
                *(f"h{demo}", f"g{demo}", source, 0, created, created),
            )


def guests(advisors: int, rng):
    statuses = ["going", "going", "going", "not_coming", "waitlist"]
    for demo in range(1, (advisors + 1) * DEMOS_EACH + 1):
        for k in range(GUESTS_EACH):
            guest = (demo - 1) * GUESTS_EACH + k + 1
            at = NOW - YEAR - timedelta(days=30)
            checked = at if rng.random() < 0.5 else None
            yield (guest, demo, f"Guest {guest}", rng.choice(statuses), at, checked, at, at)


def orders_and_lines(advisors: int, lines: int, rng, state: dict):
    """Orders (yielded) with their lines kept in `state` for the second pass."""
    total_orders = int(lines / LINES_PER_ORDER)
    counts = [rng.randint(1, 4) for _ in range(total_orders)]
    counts[-1] += lines - sum(counts)
    while counts[-1] < 1:  # the draw overshot: take the excess back from the others
        for i in range(len(counts) - 1):
            if counts[-1] >= 1:
                break
            if counts[i] > 1:
                counts[i] -= 1
                counts[-1] += 1
    state["counts"] = counts
    state["orders"] = []
    span = int(YEAR.total_seconds())
    for order in range(1, total_orders + 1):
        user = rng.randint(1, advisors + 1)
        created = NOW - timedelta(seconds=rng.randrange(span))
        own = rng.random() < 0.15
        demo = guest = None
        if not own and rng.random() < 0.6:
            demo = (user - 1) * DEMOS_EACH + rng.randrange(DEMOS_EACH) + 1
            guest = (demo - 1) * GUESTS_EACH + rng.randrange(GUESTS_EACH) + 1
        status = "cancelled" if rng.random() < 0.03 else "confirmed"
        state["orders"].append((order, user, created, status == "confirmed" and not own))
        yield (
            order,
            user,
            demo,
            guest,
            None if own else f"Customer {order}",
            "own_use" if own else "retail",
            "EUR",
            status,
            demo is not None,
            30 if demo else 14,
            created + timedelta(days=30),
            "Europe/Rome",
            f"o{order}",
            created,
            created,
            "off_premises",  # logged by the advisor: signed in person
            "demo" if demo else "direct",
        )


def order_lines(rng, state: dict):
    line = 0
    nets = state["nets"] = {}
    for (order, _user, _created, _retail), count in zip(state["orders"], state["counts"], strict=True):
        net = 0
        for _k in range(count):
            line += 1
            product = rng.randint(1, PRODUCTS)
            quantity = rng.randint(1, 3)
            withdrawn = 1 if rng.random() < 0.05 else 0
            price = 990 + 1000 * product
            net += price * (quantity - withdrawn)
            yield (line, order, product, f"SKU{product:03d}", f"Product {product}", price, quantity, withdrawn)
        nets[order] = net


def commission_entries(uplines, state: dict):
    entry = 0
    since = NOW - timedelta(days=COMMISSION_DAYS)
    rates = (2000, 500, 300)
    for order, user, created, retail in state["orders"]:
        if created < since or not retail:
            continue
        earner, period = user, created.strftime("%Y-%m")
        for level, rate in enumerate(rates):
            if earner is None:
                break
            entry += 1
            base = state["nets"][order]
            yield (entry, earner, order, level, "accrual", period, base, rate, base * rate // 10_000, "EUR", created)
            earner = uplines[earner]


TABLES = {
    "users": (
        "id",
        "telegram_id",
        "role",
        "display_name",
        "locale",
        "timezone",
        "upline_id",
        "onboarded",
        "created_at",
    ),
    "invites": ("id", "token", "created_by_id", "created_at", "expires_at", "used_by_id", "used_at"),
    "products": ("id", "sku", "name", "unit_price_minor", "currency", "active", "updated_at"),
    "demos": (
        "id",
        "reseller_id",
        "host_name",
        "address",
        "starts_at",
        "duration_minutes",
        "timezone",
        "status",
        "host_token",
        "guest_token",
        "source_demo_id",
        "ics_sequence",
        "created_at",
        "updated_at",
    ),
    "guests": ("id", "demo_id", "name", "status", "consent_at", "checked_in_at", "created_at", "updated_at"),
    "orders": (
        "id",
        "reseller_id",
        "demo_id",
        "guest_id",
        "customer_name",
        "kind",
        "currency",
        "status",
        "at_home_demo",
        "withdrawal_days",
        "withdrawal_ends_at",
        "timezone",
        "idempotency_key",
        "created_at",
        "updated_at",
        "contract",
        "source",
    ),
    "order_lines": (
        "id",
        "order_id",
        "product_id",
        "sku",
        "name",
        "unit_price_minor",
        "quantity",
        "withdrawn_quantity",
    ),
    "commission_entries": (
        "id",
        "earner_id",
        "order_id",
        "level",
        "kind",
        "period",
        "base_minor",
        "rate_bp",
        "amount_minor",
        "currency",
        "created_at",
    ),
}


async def seed(url: str, *, advisors: int, lines: int, quiet: bool = False) -> dict[int, int]:
    """Builds the company at `url` (emptied first); returns {team size: leader's user id}."""
    started = time.monotonic()
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    db = await fresh_database(url)
    await db.dispose()
    rng = random.Random(2031)
    uplines, leaders = team_tree(advisors, rng)
    loader, state = Loader(url), {}
    sources = {
        "users": people(uplines, leaders, rng),
        "invites": invites(uplines, rng),
        "products": products(),
        "demos": demo_rows(advisors, rng),
        "guests": guests(advisors, rng),
        "orders": orders_and_lines(advisors, lines, rng, state),
        "order_lines": order_lines(rng, state),
        "commission_entries": commission_entries(uplines, state),
    }
    for table, rows in sources.items():
        count = loader.load(table, TABLES[table], rows)
        if not quiet:
            print(f"  {table}: {count:,} rows ({time.monotonic() - started:.1f} s)", flush=True)
    loader.finish(list(TABLES))
    if not quiet:
        print(f"seeded {url.split('@')[-1]} in {time.monotonic() - started:.1f} s (goal: under 120 s)")
    return leaders


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="database URL (default: SQLite in /tmp, or the `rollups` PostgreSQL database)")
    parser.add_argument("--advisors", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    args.url = args.url or (f"sqlite:///{SQLITE_PATH}" if args.db == "sqlite" else PG_URL)
    if args.url.startswith("sqlite:///"):
        args.url = args.url.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
    if args.url.startswith("postgresql://"):
        args.url = args.url.replace("postgresql://", "postgresql+psycopg://")
    return args


if __name__ == "__main__":
    options = arguments()
    asyncio.run(seed(options.url, advisors=options.advisors, lines=options.lines))
