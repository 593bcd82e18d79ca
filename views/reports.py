"""Reports: host rewards, compliance warning signs, and CSV files a spreadsheet reads safely.

The orders CSV (/export) is written for the person who asked for it, to open in a spreadsheet:
headers and values (kind, status) in their language, amounts as plain numbers with their
locale's decimal sign (1549,00 in Italy, 1549.00 in the US: no thousands separator, no currency
sign, which has its own column) and, where the decimal sign is a comma, columns separated by
semicolons, as spreadsheets set up for those locales expect. Dates are ISO (2031-03-25 18:30),
which every spreadsheet reads as dates. It is not a machine interface: its headers follow the
reader's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from babel.numbers import get_decimal_symbol

from models import compliance, orders, rewards
from models.money import to_decimal
from models.orders import Order, OrderKind, OrderLine, OrderStatus
from models.users import User
from views.dates import format_days, to_local
from views.i18n import N_, _, formatting_locale, ngettext
from views.money import format_rate, money_for

ORDER_KIND = {OrderKind.RETAIL: N_("sale"), OrderKind.OWN_USE: N_("own use")}
ORDER_STATUS = {OrderStatus.CONFIRMED: N_("confirmed"), OrderStatus.CANCELLED: N_("cancelled")}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def orders_csv(found: list[tuple[Order, list[OrderLine]]], reader: User) -> bytes:
    """One row per order line, in the reader's language and number format (see the module's note)."""
    decimal = get_decimal_symbol(formatting_locale(reader.locale))
    amount = lambda minor, currency: str(to_decimal(minor, currency)).replace(".", decimal)  # noqa: E731
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal == "," else ",")
    writer.writerow(
        [
            _("order"),
            _("date"),
            _("kind"),
            _("customer"),
            _("status"),
            _("sku"),
            _("product"),
            _("quantity"),
            _("withdrawn"),
            _("unit price"),
            _("amount kept"),
            _("currency"),
            _("withdrawal until"),
        ]
    )
    for order, lines in found:
        deadline = order.last_withdrawal_day.isoformat() if orders.has_withdrawal_right(order, lines) else ""
        for line in lines:
            kept = 0 if order.status == OrderStatus.CANCELLED else line.unit_price_minor * line.kept_quantity
            cells = (
                order.id,
                to_local(order.created_at, reader.timezone).strftime("%Y-%m-%d %H:%M"),
                _(ORDER_KIND[order.kind]),
                order.customer_name or "",
                _(ORDER_STATUS[order.status]),
                line.sku,
                line.name_in(reader.locale),
                line.quantity,
                line.withdrawn_quantity,
                amount(line.unit_price_minor, order.currency),
                amount(kept, order.currency),
                order.currency,
                deadline,
            )
            writer.writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet apps read UTF-8


def reward_text(reward: rewards.HostReward, currency: str, reader: User) -> str:
    money = lambda minor: money_for(minor, currency, reader)  # noqa: E731
    lines = [
        _("Party sales: {sales} (retail, net of withdrawals)").format(sales=money(reward.sales_minor)),
        _("Product credit: {rate} = {credit}").format(
            rate=format_rate(reward.rate_bp, lang=reader.locale, tz=reader.timezone), credit=money(reward.credit_minor)
        ),
        _("Bookings made at the party: {count} = {bonus}").format(
            count=reward.bookings, bonus=money(reward.bookings_bonus_minor)
        ),
        _("Host reward: {total}").format(total=money(reward.total_minor)),
    ]
    if reward.next_tier is not None:
        lines.append(
            _("With sales from {threshold} the credit rises to {rate}.").format(
                threshold=money(reward.next_tier.min_sales_minor),
                rate=format_rate(reward.next_tier.rate_bp, lang=reader.locale, tz=reader.timezone),
            )
        )
    return "\n".join(lines)


# {span} is a duration written by Babel in the reader's language ("90 days", "90 giorni"), so its
# plural is right; a count of people is chosen with ngettext.
FLAGS: dict[str, str | Callable[[dict], str]] = {
    "retail_share": N_(
        "{name}: retail share of sales plus own purchases over {span}: {share} (expected: at least {minimum})"
    ),
    "inventory_loading": N_(
        "{name}: own purchases {own} against retail sales {retail} over {span} (possible inventory loading)"
    ),
    "recruitment_heavy": lambda n: ngettext(
        "{name}: {recruits} recruit over {span}, but the team sold only {retail}",
        "{name}: {recruits} recruits over {span}, but the team sold only {retail}",
        n.get("recruits", 0),
    ),
    "occasional_income_near": N_(
        "{name}: commissions {earned} in {year}, near the {limit} limit for occasional activity"
    ),
    "occasional_income_over": N_(
        "{name}: commissions {earned} in {year}, past the {limit} limit for occasional activity: a VAT "
        "position is needed"
    ),
}


def flag_text(flag: compliance.Flag, me: User, currency: str) -> str:
    f = flag.figures
    m = lambda key: money_for(f[key], currency, me)  # noqa: E731
    span = format_days(f["days"], lang=me.locale) if "days" in f else ""
    values = {"name": flag.user.display_name, "span": span, "year": f.get("year", "")}
    if flag.code == "retail_share":
        values.update(
            share=format_rate(f["share_bp"], lang=me.locale, tz=me.timezone),
            minimum=format_rate(f["min_bp"], lang=me.locale, tz=me.timezone),
        )
    if flag.code == "inventory_loading":
        values.update(own=m("own_use_minor"), retail=m("retail_minor"))
    if flag.code == "recruitment_heavy":
        values.update(recruits=f["recruits"], retail=m("team_retail_minor"))
    if flag.code.startswith("occasional_income"):
        values.update(earned=m("earned_minor"), limit=m("limit_minor"))
    message = FLAGS[flag.code]
    return "⚠️ " + (message(f) if callable(message) else _(message)).format(**values)
