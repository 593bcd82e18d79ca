"""What each outbox row says when it is sent, in the recipient's language and timezone.

Pure functions of the facts read at send time (bot.notices loads them: guest counts, sales,
rewards as they are then) and of the reader. One view per kind of row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_skeleton

from models.compliance import Flag
from models.demos import Demo, DemoStatus
from models.digests import ResellerWeek, TeamWeek
from models.guests import Guest
from models.money import to_decimal
from models.orders import Order, OrderLine
from models.plan import Plan
from models.rewards import HostReward, RewardTable
from models.users import User
from views.callbacks import (
    DemoAcceptProposal,
    DemoGuests,
    DemoNewOrder,
    DemoRefuseProposal,
    DemoView,
    GuestCantCome,
    HostGuests,
    OrderView,
)
from views.charts import weekly_sales_png
from views.dates import format_when
from views.demos import calendar_document, host_keyboard, host_view
from views.i18n import _, formatting_locale, ngettext
from views.keyboards import keyboard
from views.menus import commands_for
from views.money import format_rate, money_for
from views.outgoing import Document, Outgoing
from views.party_close import PartyFacts, party_close_reminder, party_closed
from views.privacy import handover, host_erased
from views.receipts import receipt
from views.reports import flag_text, safe_cell

DIGEST_MEMBERS_SHOWN = 25  # the rest of a large team is in the CSV that comes with the digest


@dataclass
class Env:
    """What a message needs besides its row: the time of sending and the company's tables."""

    currency: str
    reward_table: RewardTable
    plan: Plan
    now: datetime


@dataclass
class DemoFacts:
    """A demo as a message about it needs it, read at send time."""

    demo: Demo
    reseller: User
    going: int = 0
    guest: Guest | None = None
    reward: HostReward | None = None
    calendar: bool = False  # a calendar file goes with the message
    payload: dict = field(default_factory=dict)


@dataclass
class OrderFacts:
    order: Order
    lines: list[OrderLine]
    reseller: User


@dataclass
class ResellerDigestFacts:
    week: date
    figures: ResellerWeek


@dataclass
class TeamDigestFacts:
    week: date
    team: TeamWeek
    flags: list[Flag]


def _when(demo: Demo, reader: User) -> str:
    return format_when(demo.starts_at, tz=reader.timezone, lang=reader.locale)


def _details(demo: Demo):
    return keyboard([[(_("Details"), DemoView(demo.id))]])


def _calendar(facts: DemoFacts, reader: User, env: Env) -> Document | None:
    if not facts.calendar:
        return None
    return calendar_document(
        facts.demo, reseller_name=facts.reseller.display_name, tz=reader.timezone, lang=reader.locale, now=env.now
    )


# ---- reminders and follow-ups (planned from the demo's state) ----


def reseller_reminder(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("⏰ Reminder: demo at {host}'s on {when}\n🏠 {address}\nGuests coming: {count}").format(
            host=demo.host_name, when=_when(demo, reader), address=demo.address, count=facts.going
        ),
        _details(demo),
    )


def host_reminder(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("⏰ Tomorrow is your demo with {reseller}: {when}. Guests who said they are coming: {count}.").format(
            reseller=facts.reseller.display_name, when=_when(demo, reader), count=facts.going
        ),
        keyboard([[(_("👥 Guest list"), HostGuests(demo.id))]]),
    )


def guest_reminder(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("⏰ See you at the demo at {host}'s on {when}, {address}.").format(
            host=demo.host_name.split(" ")[0],
            when=format_when(demo.starts_at, tz=demo.timezone, lang=reader.locale),
            address=demo.address,
        ),
        keyboard([[(_("I can't come"), GuestCantCome(facts.guest.id))]]),
    )


def reseller_followup(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("How did the demo at {host}'s go? Mark who came and log the orders, so the host's reward is right.").format(
            host=demo.host_name
        ),
        keyboard([[(_("👥 Guests"), DemoGuests(demo.id)), (_("🛒 New order"), DemoNewOrder(demo.id))]]),
    )


def host_thanks(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    text = _("Thank you for hosting the demo, from {reseller}!").format(reseller=facts.reseller.display_name)
    reward, table = facts.reward, env.reward_table
    if reward is not None and reward.sales_minor:
        text += "\n" + _("Your party's sales: {sales}. Your host reward: {reward}.").format(
            sales=money_for(reward.sales_minor, table.currency, reader),
            reward=money_for(reward.total_minor, table.currency, reader),
        )
    return Outgoing(text)


def aftercare(facts: OrderFacts, reader: User, env: Env) -> Outgoing:
    order = facts.order
    products = ", ".join(line.name_in(reader.locale) for line in facts.lines if line.kept_quantity)
    phone = f"\n📞 {order.customer_phone}" if order.customer_phone else ""
    day = format_date(
        order.created_at.astimezone(ZoneInfo(reader.timezone)),
        "long",
        locale=formatting_locale(reader.locale),
    )
    return Outgoing(
        _(
            "💬 It's been a few weeks since {customer} bought {products} ({day}). A good moment to ask how it's going!"
        ).format(customer=order.customer_name, products=products, day=day)
        + phone,
        keyboard([[(_("Open the order"), OrderView(order.id))]]),
    )


# ---- what someone else's action means for the reader (written by that action) ----


def host_confirmed(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("🎉 {host} confirmed the demo on {when}.").format(host=demo.host_name, when=_when(demo, reader)),
        _details(demo),
        document=_calendar(facts, reader, env),
    )


def host_declined(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("{host} declined the demo on {when}. You can reschedule or cancel it.").format(
            host=demo.host_name, when=_when(demo, reader)
        ),
        _details(demo),
    )


def host_proposed(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("{host} proposes another time for the demo:\nplanned: {old}\nproposed: {new}").format(
            host=demo.host_name,
            old=_when(demo, reader),
            new=format_when(demo.proposed_starts_at, tz=reader.timezone, lang=reader.locale),
        ),
        keyboard([[(_("✅ Accept"), DemoAcceptProposal(demo.id)), (_("✖️ Refuse"), DemoRefuseProposal(demo.id))]]),
    )


def demo_cancelled(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    return Outgoing(
        _("{reseller} has cancelled the demo planned on {when}. Sorry for the change!").format(
            reseller=facts.reseller.display_name, when=_when(facts.demo, reader)
        ),
        document=_calendar(facts, reader, env),
    )


def proposal_accepted(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    return Outgoing(
        _("{reseller} accepted your proposal: the demo is on {when}. See you then!").format(
            reseller=facts.reseller.display_name, when=_when(facts.demo, reader)
        ),
        document=_calendar(facts, reader, env),
    )


def proposal_refused(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("{reseller} can't make the time you proposed. The demo stays as planned:").format(
            reseller=facts.reseller.display_name
        )
        + "\n\n"
        + host_view(demo, reseller_name=facts.reseller.display_name, tz=reader.timezone, lang=reader.locale),
        host_keyboard(demo),
    )


def demo_moved(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("{reseller} has moved the demo. Does the new time suit you?").format(reseller=facts.reseller.display_name)
        + "\n\n"
        + host_view(demo, reseller_name=facts.reseller.display_name, tz=reader.timezone, lang=reader.locale),
        host_keyboard(demo) if demo.status == DemoStatus.AWAITING_HOST else None,
        document=_calendar(facts, reader, env),
    )


def waitlist_promoted(facts: DemoFacts, reader: User, env: Env) -> Outgoing:
    demo = facts.demo
    return Outgoing(
        _("Good news: a place has freed up and you are now on the guest list for the demo on {when}.").format(
            when=format_when(demo.starts_at, tz=demo.timezone, lang=reader.locale)
        ),
        keyboard([[(_("I can't come"), GuestCantCome(facts.guest.id))]]),
    )


def order_receipt(facts: OrderFacts, reader: User, env: Env) -> Outgoing:
    return Outgoing(receipt(facts.order, facts.lines, reader, reseller_name=facts.reseller.display_name))


def withdrawal_receipt(facts: OrderFacts, reader: User, env: Env) -> Outgoing:
    return Outgoing(
        _("Your withdrawal has been recorded.")
        + "\n\n"
        + receipt(facts.order, facts.lines, reader, reseller_name=facts.reseller.display_name)
    )


# ---- the weekly digests ----


def _change(current: int, previous: int, reader: User) -> str:
    if previous == 0:
        return _("no sales the week before")
    delta = (current - previous) * 10_000 // previous
    sign = "+" if delta >= 0 else ""
    return _("{change} on the week before").format(
        change=sign + format_rate(delta, lang=reader.locale, tz=reader.timezone)
    )


def _week_span(week: date, reader: User) -> str:
    """'30 nov – 6 dic', 'Nov 30 – Dec 6': a range needs no preposition, so none depends on the day."""
    return format_interval(week, week + timedelta(days=6), "MMMd", locale=formatting_locale(reader.locale))


def reseller_digest(facts: ResellerDigestFacts, reader: User, env: Env) -> Outgoing:
    week, figures = facts.week, facts.figures
    money = lambda minor: money_for(minor, env.currency, reader)  # noqa: E731
    lines = [
        _("📊 Your week: {week}").format(week=_week_span(week, reader)),
        ngettext(
            "Sales: {retail} in {orders} order (average {average}), {change}",
            "Sales: {retail} in {orders} orders (average {average}), {change}",
            figures.orders,
        ).format(
            retail=money(figures.retail_minor),
            orders=figures.orders,
            average=money(figures.average_minor),
            change=_change(figures.retail_minor, figures.previous_retail_minor, reader),
        ),
        _("Own use: {own}").format(own=money(figures.own_use_minor)),
        _("Demos held: {demos} · guests: {guests} · of whom bought: {buyers}").format(
            demos=figures.demos_held, guests=figures.guests, buyers=figures.buyers
        ),
        _("Host rewards: {rewards}").format(rewards=money(figures.host_rewards_minor)),
    ]
    if figures.coming:
        lines.append(_("This week:"))
        lines += [f"• {_when(d, reader)} · {d.host_name}" for d in figures.coming]
    else:
        lines.append(_("No demos this week yet: /newdemo"))
    return Outgoing("\n".join(lines))


def team_digest(facts: TeamDigestFacts, reader: User, env: Env) -> Outgoing:
    week, team = facts.week, facts.team
    money = lambda minor: money_for(minor, env.currency, reader)  # noqa: E731
    locale = formatting_locale(reader.locale)
    lines = [
        ngettext(
            "👥 Your team's week ({week}): {retail} in {orders} order (own use apart: {own})",
            "👥 Your team's week ({week}): {retail} in {orders} orders (own use apart: {own})",
            team.orders,
        ).format(
            week=_week_span(week, reader),
            retail=money(team.retail_minor),
            orders=team.orders,
            own=money(team.own_use_minor),
        ),
        _("New recruits: {recruits} · demos held: {demos} · guests who bought: {buyers} of {guests} ({rate})").format(
            recruits=team.recruits,
            demos=team.demos_held,
            buyers=team.buyers,
            guests=team.guests,
            rate=format_rate(team.conversion_bp, lang=reader.locale, tz=reader.timezone),
        ),
    ]
    best = sorted(team.members, key=lambda m: (-m.retail_minor, m.user.display_name))
    lines += [
        "• {name}: {retail} · {orders} · {demos}".format(
            name=m.user.display_name,
            retail=money(m.retail_minor),
            orders=ngettext("{count} order", "{count} orders", m.orders).format(count=m.orders),
            demos=ngettext("{count} demo", "{count} demos", m.demos_held).format(count=m.demos_held),
        )
        for m in best[:DIGEST_MEMBERS_SHOWN]
    ]
    if len(best) > DIGEST_MEMBERS_SHOWN:
        rest = len(best) - DIGEST_MEMBERS_SHOWN
        lines.append(
            ngettext(
                "…and {count} more member: every figure is in the CSV file.",
                "…and {count} more members: every figure is in the CSV file.",
                rest,
            ).format(count=rest)
        )
    if facts.flags:
        lines.append(_("Warning signs in your team:"))
        lines += [flag_text(flag, reader, env.plan.currency) for flag in facts.flags]
    chart = weekly_sales_png(
        team.weekly_retail,
        labels=[format_skeleton("MMMd", w, locale=locale) for w, _m in team.weekly_retail],
        currency=env.currency,
        title=_("Team sales, last 8 weeks"),
        y_label=env.currency,
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("member"), _("sales"), _("orders"), _("demos held")])
    for member in team.members:
        writer.writerow(
            [
                safe_cell(member.user.display_name),
                to_decimal(member.retail_minor, env.currency),
                member.orders,
                member.demos_held,
            ]
        )
    document = Document(buffer.getvalue().encode("utf-8-sig"), f"team-{week.isoformat()}.csv")
    return Outgoing("\n".join(lines), photo=chart, document=document)


def error_alert(facts: dict, reader: User, env: Env) -> Outgoing:
    return Outgoing(
        _(
            "⚠️ Unexpected error in the bot: {error} in {where}. The details are in the logs; "
            "the same error is reported here at most once an hour."
        ).format(error=facts["error"], where=facts["where"])
    )


def menu(reader_again: User, reader: User, env: Env) -> Outgoing:
    """No message: the person's command menu, after a change of role."""
    return Outgoing(commands=commands_for(reader))


VIEWS = {
    "menu": menu,
    "reseller_reminder": reseller_reminder,
    "host_reminder": host_reminder,
    "guest_reminder": guest_reminder,
    "reseller_followup": reseller_followup,
    "host_thanks": host_thanks,
    "aftercare": aftercare,
    "reseller_digest": reseller_digest,
    "team_digest": team_digest,
    "host_confirmed": host_confirmed,
    "host_declined": host_declined,
    "host_proposed": host_proposed,
    "demo_cancelled": demo_cancelled,
    "proposal_accepted": proposal_accepted,
    "proposal_refused": proposal_refused,
    "demo_moved": demo_moved,
    "waitlist_promoted": waitlist_promoted,
    "order_receipt": order_receipt,
    "withdrawal_receipt": withdrawal_receipt,
    "error_alert": error_alert,
    "handover": handover,
    "host_erased": host_erased,
    "party_close_reminder": lambda facts, reader, env: party_close_reminder(facts, reader, env.currency),
    "party_closed": lambda facts, reader, env: party_closed(facts, reader, env.currency),
}
__all__ = ["PartyFacts"]  # for bot.notices
