"""The sandbox's sample world, so that every screen has something to show: the catalog, an
admin, a manager with three advisors, one advisor with a demo next week whose host has not
confirmed yet and a past demo with guests and orders. Written through the domain's own
functions, as the bot would have written it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from models import commissions, demos, guests, notifications, orders, team, users
from models.catalog import Product, import_catalog
from models.plan import Plan

SAMPLE_CATALOG = Path(__file__).resolve().parent.parent / "bot" / "sample_catalog.csv"
TIMEZONE = "Europe/Rome"


@dataclass(frozen=True)
class Person:
    """Someone at the sandbox's table: a Telegram user the page plays."""

    id: int  # the Telegram user id
    name: str
    language: str  # Telegram's language_code
    role: str  # what the page calls them: admin, manager, advisor, host, guest, someone


# The sales force (in the database from the start) and the people they will meet (Telegram users
# who have not opened the bot yet).
ADMIN = Person(1001, "Lucia", "en", "admin")
MANAGER = Person(1002, "Giulia", "it", "manager")
ADVISOR = Person(1003, "Marta", "en", "advisor")
ADVISORS = (ADVISOR, Person(1004, "Paolo", "it", "advisor"), Person(1005, "Sara", "en", "advisor"))
PAST_HOST = Person(1006, "Carla", "en", "host")
HOST = Person(2001, "Anna", "en", "host")
GUESTS = (Person(2002, "Ada", "en", "guest"), Person(2003, "Bea", "it", "guest"))

UPCOMING_HOST_NAME = "Anna Bianchi"
PAST_HOST_NAME = "Carla Verdi"


def people(*, empty: bool = False) -> list[Person]:
    """Whom the page shows at first: the whole cast, or (empty world) an admin, an advisor-to-be,
    a host and two guests to play with."""
    if empty:
        return [ADMIN, Person(1003, "Marta", "en", "someone"), HOST, *GUESTS]
    return [ADVISOR, HOST, *GUESTS, MANAGER, ADMIN, *ADVISORS[1:], PAST_HOST]


def next_week_day(now: datetime, weekday: int, at: time) -> datetime:
    """That weekday of next week, at that local time, in UTC."""
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    day = today + timedelta(days=7 - today.weekday() + weekday)
    return datetime.combine(day, at, ZoneInfo(TIMEZONE))


async def _seller(
    session: AsyncSession, person: Person, *, now: datetime, upline: users.User | None, admin: users.User | None
) -> users.User:
    user = await users.get_or_create_user(
        session, telegram_id=person.id, name=person.name, locale=person.language, timezone=TIMEZONE, now=now
    )
    if upline is None:
        await users.ensure_admin(session, user=user)
    else:
        invite = await users.create_invite(session, inviter=upline, now=now)
        await users.redeem_invite(session, token=invite.token, user=user, now=now)
        if person.role == "manager":
            await team.promote_to_manager(session, actor=admin, member=user)
    await users.save_profile(session, user=user, locale=person.language, timezone=TIMEZONE, display_name=person.name)
    user.onboarded = True  # as the onboarding flow's last step leaves them
    await session.flush()
    return user


async def seed(session: AsyncSession, *, now: datetime, settings: Settings) -> dict:
    """Writes the world in the given session (the caller commits); returns its main objects."""
    plan, policy = settings.plan, settings.withdrawal_policy
    month_ago = now - timedelta(days=30)
    await import_catalog(session, text=SAMPLE_CATALOG.read_text(encoding="utf-8"), now=month_ago)
    admin = await _seller(session, ADMIN, now=month_ago, upline=None, admin=None)
    manager = await _seller(session, MANAGER, now=month_ago, upline=admin, admin=admin)
    advisors = [await _seller(session, p, now=month_ago, upline=manager, admin=admin) for p in ADVISORS]
    marta = advisors[0]
    past = await _past_demo(session, marta, now=now, plan=plan, policy=policy)
    upcoming = await demos.schedule_demo(
        session,
        reseller=marta,
        host_name=UPCOMING_HOST_NAME,
        host_phone="+39 333 123 4567",
        address="Via Garibaldi 12, Torino",
        starts_at=next_week_day(now, 2, time(18, 30)),  # Wednesday of next week
        duration_minutes=120,
        notes="Bring the Varoma steamer",
        timezone=TIMEZONE,
        now=now - timedelta(hours=2),
    )
    await notifications.sync_demo_notifications(session, demo=upcoming, plan=settings.reminder_plan, now=now)
    return {"admin": admin, "manager": manager, "advisors": advisors, "past": past, "upcoming": upcoming}


async def _past_demo(
    session: AsyncSession, marta: users.User, *, now: datetime, plan: Plan, policy: orders.WithdrawalPolicy
) -> demos.Demo:
    """Last Friday's party at Carla's: three guests, two came, two orders."""
    starts = datetime.combine(_last_friday(now), time(18, 30), ZoneInfo(TIMEZONE))
    booked = starts - timedelta(days=10)
    demo = await demos.schedule_demo(
        session,
        reseller=marta,
        host_name=PAST_HOST_NAME,
        host_phone=None,
        address="Corso Francia 8, Torino",
        starts_at=starts,
        duration_minutes=120,
        notes=None,
        timezone=TIMEZONE,
        now=booked,
    )
    carla = await users.get_or_create_user(
        session, telegram_id=PAST_HOST.id, name=PAST_HOST.name, locale="en", timezone=TIMEZONE, now=booked
    )
    await demos.claim_host_link(session, token=demo.host_token, user=carla)
    await demos.confirm_by_host(session, demo=demo, now=booked + timedelta(hours=3))
    came = []
    for name in ("Elena Rossi", "Franca Neri", "Giorgia Blu"):
        guest = await guests.add_guest_by_hand(session, demo=demo, name=name, phone=None, region="IT", now=booked)
        came.append(guest)
    during = starts + timedelta(hours=1)
    for guest in came[:2]:
        await guests.check_in(session, guest=guest, now=during)
    products = {p.sku: p for p in (await session.scalars(select(Product))).all()}
    baskets = [[("TM7", 1)], [("SPAT", 2), ("BOOK-IT", 1)]]
    for guest, basket in zip(came, baskets, strict=False):
        order = await orders.create_order(
            session,
            reseller=marta,
            demo=demo,
            customer=orders.Customer(guest_id=guest.id),
            items=[(products[sku].id, quantity) for sku, quantity in basket],
            idempotency_key=f"sandbox:{demo.id}:{guest.id}",
            policy=policy,
            now=during,
        )
        await commissions.post_order(session, order=order, plan=plan, now=during)
    return demo


def _last_friday(now: datetime) -> date:
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    return today - timedelta(days=(today.weekday() - 4) % 7 or 7)
