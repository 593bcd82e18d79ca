"""The party's close as people see it: the advisor's choice of the last day for orders, the host
reward running or frozen, and the two messages to the host (the close is near; it closed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from telegram import InlineKeyboardMarkup

from models.demos import Demo
from models.party_close import close_day_choices, last_order_day
from models.party_rewards import ClosedReward, PartyStanding
from models.users import User
from views.callbacks import DemoView, HostRewardView, PartyCloseDay, PartyCloseView
from views.dates import format_day
from views.i18n import _, babel_locale, ngettext
from views.keyboards import keyboard
from views.money import format_rate, money_for
from views.outgoing import Outgoing
from views.reports import reward_text


def _day(demo: Demo, reader: User) -> str:
    """The last day for orders, written in full in the reader's language ('venerdì 4 aprile 2031')."""
    return format_date(last_order_day(demo), "full", locale=babel_locale(reader.locale, reader.timezone))


def close_button(demo: Demo, reader: User) -> tuple[str, PartyCloseView]:
    """The demo page's button: when the party stops taking orders."""
    label = _("🛍 Orders until {day}").format(
        day=format_day(last_order_day(demo), lang=reader.locale, tz=reader.timezone)
    )
    return label, PartyCloseView(demo.id)


def close_page(demo: Demo, reader: User, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "The party at {host}'s takes orders until the end of {day} (time of the demo's place). Then the host "
        "reward is worked out once and frozen, and the host is told. Pick another last day:"
    ).format(host=demo.host_name, day=_day(demo, reader))
    days = close_day_choices(demo, now)
    buttons = [(format_day(day, lang=reader.locale, tz=reader.timezone), PartyCloseDay(demo.id, day)) for day in days]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([(_("« Demo"), DemoView(demo.id))])
    return text, keyboard(rows)


def close_saved(demo: Demo, reader: User) -> str:
    return _(
        "Saved: the party at {host}'s takes orders until the end of {day}. The host is reminded two days before."
    ).format(host=demo.host_name, day=_day(demo, reader))


def party_closed_text(demo: Demo, reader: User) -> str:
    return _("The party at {host}'s closed: it took orders until the end of {day}.").format(
        host=demo.host_name, day=_day(demo, reader)
    )


def _closed_text(closed: ClosedReward, reader: User) -> str:
    frozen = closed.frozen
    money = lambda minor: money_for(minor, frozen.currency, reader)  # noqa: E731
    rate = format_rate(frozen.rate_bp, lang=reader.locale, tz=reader.timezone)
    lines = [
        _("Party sales at the close: {sales}").format(sales=money(frozen.sales_minor)),
        _("Product credit: {rate} = {credit}").format(rate=rate, credit=money(frozen.credit_minor)),
    ]
    if closed.credit_minor != frozen.credit_minor:
        lines.append(
            _("After returns since the close, sales kept: {kept}; product credit now {credit}.").format(
                kept=money(closed.kept_sales_minor), credit=money(closed.credit_minor)
            )
        )
    lines.append(
        _("Bookings made at the party: {count} = {bonus}").format(
            count=closed.bookings, bonus=money(closed.bookings_bonus_minor)
        )
    )
    if closed.bookings_pending:
        lines.append(_pending(closed.bookings_pending))
    lines.append(_("Host reward: {total}").format(total=money(closed.total_minor)))
    if frozen.redeemed_minor:
        lines.append(
            _("Already used: {used}; still to use: {left}.").format(
                used=money(frozen.redeemed_minor), left=money(closed.available_minor)
            )
        )
    return "\n".join(lines)


def _pending(count: int) -> str:
    return ngettext(
        "{count} demo booked at the party is still to come: its bonus counts once it has taken place.",
        "{count} demos booked at the party are still to come: their bonus counts once they have taken place.",
        count,
    ).format(count=count)


def standing_text(standing: PartyStanding, currency: str, reader: User) -> str:
    """The host reward, running (with the last day for orders) or frozen at the close."""
    if standing.closed is not None:
        return party_closed_text(standing.demo, reader) + "\n" + _closed_text(standing.closed, reader)
    assert standing.running is not None  # open: the running figures
    lines = [reward_text(standing.running, currency, reader)]
    if standing.running.bookings_pending:
        lines.append(_pending(standing.running.bookings_pending))
    lines.append(
        _("The party takes orders until the end of {day}; then the reward is frozen.").format(
            day=_day(standing.demo, reader)
        )
    )
    return "\n".join(lines)


@dataclass
class PartyFacts:
    """A party's messages to its host, read at send time."""

    demo: Demo
    reseller: User
    standing: PartyStanding


def party_close_reminder(facts: PartyFacts, reader: User, currency: str) -> Outgoing:
    demo = facts.demo
    running = facts.standing.running
    text = _(
        "🛍 Your party with {reseller} takes orders until the end of {day}. Friends who could not come can "
        "still order: send them your guest link."
    ).format(reseller=facts.reseller.display_name, day=_day(demo, reader))
    if running is not None and running.sales_minor:
        text += "\n" + _("Party sales so far: {sales}. Your host reward so far: {reward}.").format(
            sales=money_for(running.sales_minor, currency, reader),
            reward=money_for(running.total_minor, currency, reader),
        )
    return Outgoing(text, keyboard([[(_("🎁 Host reward"), HostRewardView(demo.id))]]))


def party_closed(facts: PartyFacts, reader: User, currency: str) -> Outgoing:
    closed = facts.standing.closed
    assert closed is not None  # the loader sends this only for a closed party
    text = _("🎉 Your party with {reseller} is closed. Thank you! Your host reward is {total}.").format(
        reseller=facts.reseller.display_name, total=money_for(closed.total_minor, closed.frozen.currency, reader)
    )
    return Outgoing(
        text + "\n" + _closed_text(closed, reader),
        keyboard([[(_("🎁 Host reward"), HostRewardView(demo_id=facts.demo.id))]]),
    )
