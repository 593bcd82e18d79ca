"""What each outbox row says when it is sent: rendered at send time, in the recipient's
language and timezone, from the data as it is then (guest counts, sales, rewards)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from views.charts import weekly_sales_png
from models.plan import Plan
from models.rewards import RewardTable
from views.dates import format_when
from views.i18n import _, babel_locale
from views.money import format_rate, money_for
from views.keyboards import cb, keyboard
from views.reports import flag_text, safe_cell
from models import compliance, digests, guests, orders, rewards, users
from models.demos import Demo, DemoStatus
from models.guests import Guest, GuestStatus
from models.money import to_decimal
from models.notifications import Notification
from models.users import User

HOST_THANKS_WAIT = timedelta(days=7)  # after that, thank the host even if no order was logged


@dataclass
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: bytes | None = None
    document: tuple[bytes, str] | None = None


@dataclass
class Defer:
    until: datetime


@dataclass
class Env:
    """What a message needs besides its row: the time of sending and the company's tables."""

    currency: str
    reward_table: RewardTable
    plan: Plan
    now: datetime


def _when(demo: Demo, reader: User) -> str:
    return format_when(demo.starts_at, tz=reader.timezone, lang=reader.locale)


async def _demo(session: AsyncSession, row: Notification) -> Demo | None:
    demo = await session.get(Demo, row.data["demo_id"])
    return None if demo is None or demo.status in (DemoStatus.CANCELLED.value, DemoStatus.DECLINED.value) else demo


async def _going(session: AsyncSession, demo: Demo) -> int:
    return sum(1 for g in await guests.guests_of_demo(session, demo.id) if g.status == GuestStatus.GOING.value)


async def reseller_reminder(session, row, reader, env) -> Outgoing | None:
    demo = await _demo(session, row)
    if demo is None:
        return None
    return Outgoing(
        _("⏰ Reminder: demo at {host}'s on {when}\n🏠 {address}\nGuests coming: {count}").format(
            host=demo.host_name, when=_when(demo, reader), address=demo.address, count=await _going(session, demo)),
        keyboard([[(_("Details"), cb("demo", "view", demo.id))]]))


async def host_reminder(session, row, reader, env) -> Outgoing | None:
    demo = await _demo(session, row)
    if demo is None:
        return None
    reseller = await users.get_user(session, demo.reseller_id)
    return Outgoing(
        _("⏰ Tomorrow is your demo with {reseller}: {when}. Guests who said they are coming: {count}.").format(
            reseller=reseller.display_name, when=_when(demo, reader), count=await _going(session, demo)),
        keyboard([[(_("👥 Guest list"), cb("host", "guests", demo.id))]]))


async def guest_reminder(session, row, reader, env) -> Outgoing | None:
    demo = await _demo(session, row)
    guest = await session.get(Guest, row.data["guest_id"])
    if demo is None or guest is None or guest.status != GuestStatus.GOING.value:
        return None
    return Outgoing(
        _("⏰ See you at the demo at {host}'s on {when}, {address}.").format(
            host=demo.host_name.split(" ")[0], when=format_when(demo.starts_at, tz=demo.timezone, lang=reader.locale), address=demo.address),
        keyboard([[(_("I can't come"), cb("guest", "no", guest.id))]]))


async def reseller_followup(session, row, reader, env) -> Outgoing | None:
    demo = await _demo(session, row)
    if demo is None:
        return None
    return Outgoing(
        _("How did the demo at {host}'s go? Mark who came and log the orders, so the host's reward is right.").format(host=demo.host_name),
        keyboard([[(_("👥 Guests"), cb("demo", "guests", demo.id)), (_("🛒 New order"), cb("demo", "order", demo.id))]]))


async def host_thanks(session, row, reader, env) -> Outgoing | Defer | None:
    demo = await _demo(session, row)
    if demo is None:
        return None
    sales = await orders.demo_retail_sales(session, demo_id=demo.id)
    if sales == 0 and env.now < demo.ends_at + HOST_THANKS_WAIT:
        return Defer(env.now + timedelta(hours=12))  # wait until orders are logged
    reseller = await users.get_user(session, demo.reseller_id)
    table = env.reward_table
    reward = await rewards.party_reward(session, table=table, demo_id=demo.id)
    text = _("Thank you for hosting the demo, from {reseller}!").format(reseller=reseller.display_name)
    if reward.sales_minor:
        text += "\n" + _("Your party's sales: {sales}. Your host reward: {reward}.").format(
            sales=money_for(reward.sales_minor, table.currency, reader), reward=money_for(reward.total_minor, table.currency, reader))
    return Outgoing(text)


async def aftercare(session, row, reader, env) -> Outgoing | None:
    order = await session.get(orders.Order, row.data["order_id"])
    if order is None or order.status != orders.OrderStatus.CONFIRMED.value:
        return None
    lines = await orders.lines_of(session, order.id)
    if orders.net(order, lines) == 0:
        return None  # all returned: nothing to care for
    products = ", ".join(l.name for l in lines if l.kept_quantity)
    phone = f"\n📞 {order.customer_phone}" if order.customer_phone else ""
    return Outgoing(
        _("💬 It's been a few weeks since {customer} bought {products} ({day}). A good moment to ask how it's going!").format(
            customer=order.customer_name, products=products,
            day=format_date(order.created_at.astimezone(ZoneInfo(reader.timezone)), "long", locale=babel_locale(reader.locale, reader.timezone))) + phone,
        keyboard([[(_("Open the order"), cb("order", "view", order.id))]]))


def _change(current: int, previous: int, reader: User) -> str:
    if previous == 0:
        return _("no sales the week before")
    delta = (current - previous) * 10_000 // previous
    sign = "+" if delta >= 0 else ""
    return _("{change} on the week before").format(change=sign + format_rate(delta, lang=reader.locale, tz=reader.timezone))


async def reseller_digest(session, row, reader, env) -> Outgoing:
    week = date.fromisoformat(row.data["week_start"])
    currency = env.currency
    figures = await digests.reseller_week(session, user=reader, week=week, currency=currency, rewards=env.reward_table)
    money = lambda minor: money_for(minor, currency, reader)  # noqa: E731
    locale = babel_locale(reader.locale, reader.timezone)
    lines = [
        _("📊 Your week from {start} to {end}").format(start=format_date(week, "d MMM", locale=locale),
                                                     end=format_date(week + timedelta(days=6), "d MMM", locale=locale)),
        _("Sales: {retail} in {orders} orders (average {average}), {change}").format(
            retail=money(figures.retail_minor), orders=figures.orders, average=money(figures.average_minor),
            change=_change(figures.retail_minor, figures.previous_retail_minor, reader)),
        _("Own use: {own}").format(own=money(figures.own_use_minor)),
        _("Demos held: {demos} · guests: {guests} · of whom bought: {buyers}").format(
            demos=figures.demos_held, guests=figures.guests, buyers=figures.buyers),
        _("Host rewards: {rewards}").format(rewards=money(figures.host_rewards_minor)),
    ]
    if figures.coming:
        lines.append(_("This week:"))
        lines += [f"• {_when(d, reader)} · {d.host_name}" for d in figures.coming]
    else:
        lines.append(_("No demos this week yet: /newdemo"))
    return Outgoing("\n".join(lines))


async def team_digest(session, row, reader, env) -> Outgoing:
    week = date.fromisoformat(row.data["week_start"])
    currency = env.currency
    team = await digests.team_week(session, manager=reader, week=week, currency=currency)
    money = lambda minor: money_for(minor, currency, reader)  # noqa: E731
    locale = babel_locale(reader.locale, reader.timezone)
    lines = [
        _("👥 Your team's week from {start}: {retail} in {orders} orders (own use apart: {own})").format(
            start=format_date(week, "d MMM", locale=locale), retail=money(team.retail_minor), orders=team.orders, own=money(team.own_use_minor)),
        _("New recruits: {recruits} · demos held: {demos} · guests who bought: {buyers} of {guests} ({rate})").format(
            recruits=team.recruits, demos=team.demos_held, buyers=team.buyers, guests=team.guests,
            rate=format_rate(team.conversion_bp, lang=reader.locale, tz=reader.timezone)),
    ]
    lines += [f"• {m.user.display_name}: {money(m.retail_minor)} · {m.orders} · {m.demos_held}" for m in team.members]
    flags = await compliance.check_team(session, manager=reader, plan=env.plan, now=env.now)
    if flags:
        lines.append(_("Warning signs in your team:"))
        lines += [flag_text(flag, reader, env.plan.currency) for flag in flags]
    chart = weekly_sales_png(team.weekly_retail, labels=[format_date(w, "d MMM", locale=locale) for w, _m in team.weekly_retail],
                             currency=currency, title=_("Team sales, last 8 weeks"), y_label=currency)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("member"), _("sales"), _("orders"), _("demos held")])
    for member in team.members:
        writer.writerow([safe_cell(member.user.display_name), to_decimal(member.retail_minor, currency), member.orders, member.demos_held])
    return Outgoing("\n".join(lines), photo=chart, document=(buffer.getvalue().encode("utf-8-sig"), f"team-{week.isoformat()}.csv"))


RENDERERS = {
    "reseller_reminder": reseller_reminder,
    "host_reminder": host_reminder,
    "guest_reminder": guest_reminder,
    "reseller_followup": reseller_followup,
    "host_thanks": host_thanks,
    "aftercare": aftercare,
    "reseller_digest": reseller_digest,
    "team_digest": team_digest,
}
