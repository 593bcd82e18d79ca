"""Each roll-up against hand-written SQL giving the same results, on the company bench/seed.py
builds, for teams of 10, 100, 1,000 and 10,000 (the leaders "Leader N").

For each roll-up and size: the project's code and the hand-written SQL (plain text queries,
plain rows) run alternately, `--repeat` times each after one warm-up; their results are
asserted equal, and the ratio of the best times is printed (the machine is shared: the best
run is the one least disturbed) (goal <= 1.2), with the team digest's
time at 10,000 as a multiple of its time at 10 (goal <= 10).

Run: .venv/bin/python bench/rollups.py [--db sqlite|postgresql] [--url URL] [--repeat 5] [--seed]
(--seed builds the company first, with --advisors/--lines: see bench/seed.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import NOW, machine
from seed import PG_URL, SQLITE_PATH, seed
from sqlalchemy import select, text

from bot.config import Settings
from bot.db import Database
from models import commissions, compliance, digests, orders, team
from models.digests import local_midnight
from models.users import User
from views.dates import period_starts
from views.paging import page_of
from views.team import TEAM_PAGE

WEEK = date(2031, 3, 16)  # the week before NOW's Monday
PERIOD = "2031-02"
SETTINGS = Settings(_env_file=None, bot_token="1:x")
CURRENCY, REWARDS, PLAN = SETTINGS.currency, SETTINGS.reward_table, SETTINGS.plan
KEPT = "l.unit_price_minor * (l.quantity - l.withdrawn_quantity)"
SOME_KEPT = "l.quantity > l.withdrawn_quantity"
KEPT_LINES = f"JOIN order_lines l ON l.order_id = o.id AND {SOME_KEPT} "  # a buyer who gave it all back bought nothing


class Hand:
    """Hand-written SQL: text queries, values bound as the database stores them."""

    def __init__(self, session, dialect: str) -> None:
        self.session, self.sqlite = session, dialect == "sqlite"

    def t(self, instant: datetime):
        return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else instant

    async def rows(self, sql: str, **params) -> list:
        params = {k: self.t(v) if isinstance(v, datetime) else v for k, v in params.items()}
        return (await self.session.execute(text(sql), params)).all()


def sums(condition: str = "1 = 1") -> str:
    """retail (r), own use (ro), retail orders (o), own-use orders (oo) for the rows meeting the condition."""
    ok = f"o.status = 'confirmed' AND ({condition})"
    return (
        f"COALESCE(SUM(CASE WHEN {ok} AND o.kind = 'retail' THEN {KEPT} ELSE 0 END), 0) AS r, "
        f"COALESCE(SUM(CASE WHEN {ok} AND o.kind = 'own_use' THEN {KEPT} ELSE 0 END), 0) AS ro, "
        # an order counts while something of it is kept
        f"COUNT(DISTINCT CASE WHEN {ok} AND o.kind = 'retail' AND {SOME_KEPT} THEN o.id END) AS o, "
        f"COUNT(DISTINCT CASE WHEN {ok} AND o.kind = 'own_use' AND {SOME_KEPT} THEN o.id END) AS oo"
    )


BELOW = (
    "WITH RECURSIVE below(id, depth) AS (SELECT id, 1 FROM users WHERE upline_id = :root "
    "UNION ALL SELECT u.id, b.depth + 1 FROM users u JOIN below b ON u.upline_id = b.id) "
)
HELD = "('confirmed', 'awaiting_host', 'proposed')"
OPEN = "('awaiting_host', 'proposed', 'confirmed')"


# ---- the advisor's weekly digest ----


async def advisor_project(session, user: User):
    week = await digests.reseller_week(session, user=user, week=WEEK, currency=CURRENCY, rewards=REWARDS)
    return (*(getattr(week, f) for f in vars(week) if f != "coming"), [d.id for d in week.coming])


async def advisor_hand(session, user: User):
    h, tz = Hand(session, session.bind.dialect.name), user.timezone
    start, end = local_midnight(WEEK, tz), local_midnight(WEEK + timedelta(days=7), tz)
    before, after = local_midnight(WEEK - timedelta(days=7), tz), local_midnight(WEEK + timedelta(days=14), tz)
    [figures] = await h.rows(
        f"SELECT {sums('o.created_at >= :s')}, {sums('o.created_at < :s').replace(' AS ', ' AS p')} FROM orders o "
        "JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.reseller_id = :u AND o.currency = :c AND o.created_at >= :b AND o.created_at < :e",
        u=user.id,
        c=CURRENCY,
        s=start,
        e=end,
        b=before,
    )
    held = await h.rows(
        "SELECT d.id, "
        f"(SELECT COALESCE(SUM(CASE WHEN o.status = 'confirmed' THEN {KEPT} ELSE 0 END), 0) FROM orders o "
        "  JOIN order_lines l ON l.order_id = o.id WHERE o.demo_id = d.id AND o.kind = 'retail'), "
        # a demo booked at the party counts once it has taken place (by the end of the week)
        f"(SELECT COUNT(*) FROM demos x WHERE x.source_demo_id = d.id AND x.status IN {OPEN} AND x.starts_at <= :e), "
        "(SELECT COUNT(*) FROM guests g WHERE g.demo_id = d.id "
        "  AND (g.status = 'going' OR g.checked_in_at IS NOT NULL)) "
        f"FROM demos d WHERE d.reseller_id = :u AND d.status IN {HELD} AND d.starts_at >= :s AND d.starts_at < :e",
        u=user.id,
        s=start,
        e=end,
    )
    [[buyers]] = await h.rows(
        f"SELECT COUNT(DISTINCT o.guest_id) FROM orders o JOIN demos d ON d.id = o.demo_id {KEPT_LINES}"
        f"WHERE d.reseller_id = :u AND d.status IN {HELD} AND d.starts_at >= :s AND d.starts_at < :e "
        "AND o.guest_id IS NOT NULL AND o.kind = 'retail' AND o.status = 'confirmed'",
        u=user.id,
        s=start,
        e=end,
    )
    coming = await h.rows(
        f"SELECT id FROM demos WHERE reseller_id = :u AND status IN {HELD} AND starts_at >= :e AND starts_at < :a "
        "ORDER BY starts_at",
        u=user.id,
        e=end,
        a=after,
    )
    retail, own, count = int(figures[0]), int(figures[1]), int(figures[2])
    rewards = sum(
        _reward(int(sales), int(bookings)) for _id, sales, bookings, _guests in held
    )  # the reward table's rule
    return (
        retail,
        own,
        count,
        retail // count if count else 0,
        int(figures[4]),
        len(held),
        sum(int(g) for *_r, g in held),
        int(buyers),
        rewards,
        [row[0] for row in coming],
    )


def _reward(sales: int, bookings: int) -> int:
    from models.rewards import host_reward

    return host_reward(REWARDS, sales_minor=sales, bookings=bookings).total_minor


# ---- /sales ----


async def sales_project(session, user: User):
    periods = period_starts(NOW, user.timezone)
    found = await orders.sales_in_periods(session, reseller_id=user.id, periods=periods, currency=CURRENCY)
    return [(f.retail_minor, f.own_use_minor, f.retail_orders) for f in found.values()]


async def sales_hand(session, user: User):
    h = Hand(session, session.bind.dialect.name)
    periods = period_starts(NOW, user.timezone)
    names = {}
    columns = []
    for n, (start, end) in enumerate(periods.values()):
        names[f"s{n}"], names[f"e{n}"] = start, end
        columns.append(sums(f"o.created_at >= :s{n} AND o.created_at < :e{n}").replace(" AS ", f" AS p{n}"))
    [row] = await h.rows(
        f"SELECT {', '.join(columns)} FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.reseller_id = :u AND o.currency = :c AND o.created_at >= :lo AND o.created_at < :hi",
        u=user.id,
        c=CURRENCY,
        lo=min(s for s, _e in periods.values()),
        hi=max(e for _s, e in periods.values()),
        **names,
    )
    return [(int(row[4 * n]), int(row[4 * n + 1]), int(row[4 * n + 2])) for n in range(len(periods))]


# ---- the monthly statement ----


async def statement_project(session, _user: User):
    lines, totals = await commissions.period_statement(session, period=PERIOD)
    return [tuple(line) for line in lines], totals


async def statement_hand(session, _user: User):
    h = Hand(session, session.bind.dialect.name)
    lines = await h.rows(
        "SELECT u.display_name, e.order_id, e.level, e.kind, e.base_minor, e.rate_bp, e.amount_minor, e.currency "
        "FROM commission_entries e JOIN users u ON u.id = e.earner_id WHERE e.period = :p "
        "ORDER BY u.display_name, e.id",
        p=PERIOD,
    )
    totals = await h.rows(
        "SELECT u.display_name, SUM(e.amount_minor) FROM commission_entries e JOIN users u ON u.id = e.earner_id "
        "WHERE e.period = :p GROUP BY u.display_name ORDER BY u.display_name",
        p=PERIOD,
    )
    return [tuple(line) for line in lines], [(name, int(total)) for name, total in totals]


# ---- the team digest (figures and warning signs) ----


async def team_digest_project(session, leader: User):
    week = await digests.team_week(session, manager=leader, week=WEEK, currency=CURRENCY)
    flags = await compliance.check_team(session, manager=leader, plan=PLAN, now=NOW)
    return (
        [(m.user.id, m.retail_minor, m.orders, m.demos_held) for m in week.members],
        (week.own_use_minor, week.recruits, week.guests, week.buyers, week.weekly_retail),
        [(f.code, f.user.id, sorted(f.figures.items())) for f in flags],
    )


async def team_digest_hand(session, leader: User):
    h, tz = Hand(session, session.bind.dialect.name), leader.timezone
    start, end = local_midnight(WEEK, tz), local_midnight(WEEK + timedelta(days=7), tz)
    window = {"root": leader.id, "s": start, "e": end, "c": CURRENCY}
    members = await h.rows(
        BELOW + "SELECT b.id, COALESCE(s.r, 0), COALESCE(s.ro, 0), COALESCE(s.o, 0), COALESCE(d.n, 0) FROM below b "
        "JOIN users u ON u.id = b.id "
        f"LEFT JOIN (SELECT o.reseller_id AS id, {sums()} "
        "  FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "  WHERE o.reseller_id IN (SELECT id FROM below) AND o.currency = :c AND o.created_at >= :s "
        "  AND o.created_at < :e GROUP BY o.reseller_id) s ON s.id = b.id "
        "LEFT JOIN (SELECT reseller_id AS id, COUNT(*) AS n FROM demos WHERE reseller_id IN (SELECT id FROM below) "
        f"  AND status IN {HELD} AND starts_at >= :s AND starts_at < :e GROUP BY reseller_id) d ON d.id = b.id "
        "ORDER BY b.depth, u.display_name, u.id",
        **window,
    )
    [[guests, buyers, recruits]] = await h.rows(
        BELOW + "SELECT "
        "(SELECT COUNT(*) FROM guests g JOIN demos d ON d.id = g.demo_id WHERE d.reseller_id IN (SELECT id FROM below) "
        f"  AND d.status IN {HELD} AND d.starts_at >= :s AND d.starts_at < :e "
        "  AND (g.status = 'going' OR g.checked_in_at IS NOT NULL)), "
        f"(SELECT COUNT(DISTINCT o.guest_id) FROM orders o JOIN demos d ON d.id = o.demo_id {KEPT_LINES}"
        f"  WHERE d.reseller_id IN (SELECT id FROM below) AND d.status IN {HELD} AND d.starts_at >= :s "
        "  AND d.starts_at < :e AND o.guest_id IS NOT NULL AND o.kind = 'retail' AND o.status = 'confirmed'), "
        "(SELECT COUNT(*) FROM invites WHERE (created_by_id = :root OR created_by_id IN (SELECT id FROM below)) "
        "  AND used_at >= :s AND used_at < :e)",
        **window,
    )
    weeks = [WEEK - timedelta(weeks=back) for back in range(7, -1, -1)]
    edges = [local_midnight(w, tz) for w in [*weeks, WEEK + timedelta(days=7)]]
    bucket = " ".join(f"WHEN o.created_at < :w{n + 1} THEN {n}" for n in range(8))
    trend = dict(
        await h.rows(
            BELOW + f"SELECT CASE {bucket} END AS bucket, "
            f"COALESCE(SUM(CASE WHEN o.status = 'confirmed' AND o.kind = 'retail' THEN {KEPT} ELSE 0 END), 0) "
            "FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.reseller_id IN (SELECT id FROM below) "
            "AND o.currency = :c AND o.created_at >= :w0 AND o.created_at < :w8 GROUP BY bucket",
            root=leader.id,
            c=CURRENCY,
            **{f"w{n}": edge for n, edge in enumerate(edges)},
        )
    )
    figures = (
        sum(int(m[2]) for m in members),
        int(recruits),
        int(guests),
        int(buyers),
        [(w, int(trend.get(n, 0))) for n, w in enumerate(weeks)],
    )
    flags = await _flags_hand(h, leader)
    return [(m[0], int(m[1]), int(m[3]), int(m[4])) for m in members], figures, flags


async def _flags_hand(h: Hand, leader: User) -> list:
    tree = await h.rows(
        BELOW + "SELECT u.id, u.upline_id, u.deactivated_at FROM below b JOIN users u ON u.id = b.id "
        "ORDER BY u.display_name, u.id",
        root=leader.id,
    )
    ordered = team._depth_first(tree, leader.id, upline=lambda r: r[1], user_id=lambda r: r[0])
    everyone = [(leader.id, leader.deactivated_at), *((r[0], r[2]) for r in ordered)]
    until, year = NOW + timedelta(seconds=1), NOW.year
    scope = {"root": leader.id, "c": CURRENCY, "u": until}
    per_person = (
        BELOW + "SELECT o.reseller_id, {sums} FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE (o.reseller_id = :root OR o.reseller_id IN (SELECT id FROM below)) AND o.currency = :c "
        "AND o.created_at >= :s AND o.created_at < :u GROUP BY o.reseller_id"
    ).replace("{sums}", sums())
    sales = {r[0]: r[1:] for r in await h.rows(per_person, s=NOW - compliance.WINDOW, **scope)}
    earned = dict(
        await h.rows(
            BELOW + "SELECT earner_id, SUM(amount_minor) FROM commission_entries "
            "WHERE (earner_id = :root OR earner_id IN (SELECT id FROM below)) AND period >= :a AND period <= :z "
            "GROUP BY earner_id",
            root=leader.id,
            a=f"{year}-01",
            z=f"{year}-12",
        )
    )
    recruited = dict(
        await h.rows(
            BELOW + "SELECT created_by_id, COUNT(*) FROM invites WHERE (created_by_id = :root OR created_by_id IN "
            "(SELECT id FROM below)) AND used_at >= :s AND used_at < :n GROUP BY created_by_id",
            root=leader.id,
            s=NOW - compliance.RECRUIT_WINDOW,
            n=NOW,
        )
    )
    limits = PLAN.thresholds
    team_retail = {}
    if any(n >= limits.recruits_min for n in recruited.values()):
        retail90 = {r[0]: int(r[1]) for r in await h.rows(per_person, s=NOW - compliance.RECRUIT_WINDOW, **scope)}
        parent = {r[0]: r[1] for r in ordered}
        for person, _gone in reversed(everyone):  # each one's retail goes to them and every upline in the team
            current = person
            while current is not None:
                team_retail[current] = team_retail.get(current, 0) + retail90.get(person, 0)
                current = parent.get(current) if current != leader.id else None
    flags = []
    for person, gone in everyone:
        if gone is not None:
            continue
        figures = orders.SalesFigures(*(int(v) for v in sales.get(person, (0, 0, 0, 0))))
        flags += [
            (code, who, sorted(found.items()))
            for code, who, found in compliance._flags(person, figures, int(earned.get(person, 0)), year, limits)
        ]
        recruits = int(recruited.get(person, 0))
        if (
            recruits >= limits.recruits_min
            and team_retail[person] < recruits * limits.min_team_retail_per_recruit_minor
        ):
            flags.append(
                (
                    "recruitment_heavy",
                    person,
                    sorted(
                        {
                            "recruits": recruits,
                            "team_retail_minor": team_retail[person],
                            "days": compliance.RECRUIT_WINDOW.days,
                            "per_recruit_minor": limits.min_team_retail_per_recruit_minor,
                        }.items()
                    ),
                )
            )
    return flags


# ---- /team, first page ----


async def team_view_project(session, leader: User):
    page = page_of(await team.outline(session, root=leader), 0, TEAM_PAGE)
    start, end = period_starts(NOW, leader.timezone)["week"]
    ids = [b.user_id for b in page.items]
    found = await team.with_week_sales(session, ids=ids, start=start, end=end, currency=CURRENCY, now=NOW)
    return page.total, [(found[b.user_id][0].id, b.depth, *found[b.user_id][1:]) for b in page.items]


async def team_view_hand(session, leader: User):
    h = Hand(session, session.bind.dialect.name)
    rows = await h.rows(
        BELOW + "SELECT u.id, u.upline_id, b.depth FROM below b JOIN users u ON u.id = b.id "
        "ORDER BY u.display_name, u.id",
        root=leader.id,
    )
    ordered = team._depth_first(rows, leader.id, upline=lambda r: r[1], user_id=lambda r: r[0])
    shown = ordered[:TEAM_PAGE]
    start, end = period_starts(NOW, leader.timezone)["week"]
    marks = ", ".join(str(int(r[0])) for r in shown) or "NULL"
    figures = await h.rows(
        "SELECT u.id, "
        f"(SELECT COALESCE(SUM(CASE WHEN o.status = 'confirmed' AND o.kind = 'retail' THEN {KEPT} ELSE 0 END), 0) "
        "  FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.reseller_id = u.id AND o.currency = :c "
        "  AND o.created_at >= :s AND o.created_at < :e), "
        "(SELECT MAX(starts_at) FROM demos d WHERE d.reseller_id = u.id AND d.starts_at <= :n "
        "  AND d.status = 'confirmed'), "
        f"(SELECT MIN(starts_at) FROM demos d WHERE d.reseller_id = u.id AND d.starts_at > :n AND d.status IN {OPEN}) "
        f"FROM users u WHERE u.id IN ({marks})",
        c=CURRENCY,
        s=start,
        e=end,
        n=NOW,
    )
    by_id = {r[0]: (int(r[1]), _instant(r[2]), _instant(r[3])) for r in figures}
    return len(ordered), [(r[0], r[2], *by_id[r[0]]) for r in shown]


def _instant(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ROLLUPS = {
    "advisor digest": (advisor_project, advisor_hand),
    "/sales": (sales_project, sales_hand),
    "team digest": (team_digest_project, team_digest_hand),
    "/team page 1": (team_view_project, team_view_hand),
    "monthly statement": (statement_project, statement_hand),
}
ONCE = {"monthly statement"}  # the whole company's month: no team size


async def timed(db: Database, work, user_id: int) -> tuple[float, object]:
    async with db.session_scope() as session:
        user = await session.get(User, user_id)
        started = time.perf_counter()
        result = await work(session, user)
        return time.perf_counter() - started, result


async def measure(url: str, repeat: int, sizes: list[int] | None = None) -> list[tuple]:
    db = Database(url)
    async with db.session_scope() as session:
        leaders = {
            int(name.split()[1]): uid
            for uid, name in (
                await session.execute(select(User.id, User.display_name).where(User.display_name.like("Leader %")))
            ).all()
        }
    results = []
    for name, (project, hand) in ROLLUPS.items():
        for size in sorted(leaders) if name not in ONCE else [max(leaders)]:
            if sizes and size not in sizes:
                continue
            times = {"project": [], "hand": []}
            for attempt in range(repeat + 1):
                for label, work in (("project", project), ("hand", hand)):
                    elapsed, result = await timed(db, work, leaders[size])
                    if attempt:
                        times[label].append(elapsed)
                    else:
                        times[label + " result"] = result
            assert times["project result"] == times["hand result"], (name, size)
            mine, theirs = min(times["project"]), min(times["hand"])
            results.append((name, "all" if name in ONCE else size, mine, theirs))
            print(
                f"  {name:18} {results[-1][1]!s:>6}: {mine * 1000:9.1f} ms, hand SQL {theirs * 1000:9.1f} ms, "
                f"ratio {mine / theirs:5.2f}",
                flush=True,
            )
    await db.dispose()
    return results


async def main(args) -> None:
    print(machine())
    if args.seed:
        await seed(args.url, advisors=args.advisors, lines=args.lines)
    print(f"database: {args.url.split('@')[-1]}, best of {args.repeat} runs each after a warm-up")
    results = await measure(args.url, args.repeat)
    worst = max(mine / theirs for _n, _s, mine, theirs in results)
    digest = {size: mine for name, size, mine, _t in results if name == "team digest"}
    print(f"worst ratio to hand-written SQL: {worst:.2f} (goal <= 1.2)")
    if len(digest) > 1:
        growth = digest[max(digest)] / digest[min(digest)]
        print(f"team digest at {max(digest):,} / at {min(digest):,}: {growth:.1f}x (goal <= 10)")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", action="store_true", help="build the company first")
    parser.add_argument("--advisors", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    args.url = args.url or (f"sqlite+aiosqlite:///{SQLITE_PATH}" if args.db == "sqlite" else PG_URL)
    if args.url.startswith("sqlite:///"):
        args.url = args.url.replace("sqlite:///", "sqlite+aiosqlite:///", 1)
    if args.url.startswith("postgresql://"):
        args.url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    if args.url.startswith("sqlite") and not args.seed and not Path(args.url.split("///", 1)[1]).exists():
        raise SystemExit("no database: run bench/seed.py first, or pass --seed")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
