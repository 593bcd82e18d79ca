"""Reports: host rewards, compliance warning signs, and CSV cells a spreadsheet reads safely."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from models import commissions, compliance, orders, rewards
from models.money import to_decimal
from models.plan import Plan
from models.users import User
from views.i18n import N_, _
from views.money import format_rate, money_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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


FLAGS = {
    "retail_share": N_(
        "{name}: retail is {share} of sales plus own purchases in {days} days (at least {minimum} expected)"
    ),
    "inventory_loading": N_(
        "{name}: own purchases {own} against retail sales {retail} in {days} days (possible inventory loading)"
    ),
    "recruitment_heavy": N_("{name}: {recruits} recruits in {days} days, but the team sold only {retail}"),
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
    values = {"name": flag.user.display_name, "days": f.get("days", ""), "year": f.get("year", "")}
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
    return "⚠️ " + _(FLAGS[flag.code]).format(**values)


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet apps read UTF-8


def statement_csv(lines: list, totals: list[tuple[str, int]], *, plan: Plan, period: str) -> bytes:
    """The admin's monthly statement: every entry (rows with commissions.StatementLine's fields),
    then each earner's gross, withholding and net.
    Pure and possibly large: the caller builds it off the event loop."""
    rows: list[list] = [
        [
            _("earner"),
            _("order"),
            _("level"),
            _("kind"),
            _("sales base"),
            _("rate (bp)"),
            _("commission"),
            _("currency"),
        ]
    ]
    rows += [
        [
            safe_cell(line.earner),
            line.order_id,
            line.level,
            line.kind,
            to_decimal(line.base_minor, line.currency),
            line.rate_bp,
            to_decimal(line.amount_minor, line.currency),
            line.currency,
        ]
        for line in lines
    ]
    rows += [[], [_("earner"), _("gross"), _("withholding"), _("net")]]
    for name, gross in totals:
        withheld = commissions.withholding_for(gross, plan=plan, period=period)
        rows.append(
            [
                safe_cell(name),
                to_decimal(gross, plan.currency),
                to_decimal(withheld, plan.currency),
                to_decimal(gross - withheld, plan.currency),
            ]
        )
    return _csv(rows)


def orders_csv(found: list[tuple[orders.Order, list[orders.OrderLine]]], *, local) -> bytes:
    """A reseller's orders, a row per line; `local` turns a UTC instant into their local time."""
    rows: list[list] = [
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
    ]
    for order, lines in found:
        for line in lines:
            kept = 0 if order.status == orders.OrderStatus.CANCELLED else line.unit_price_minor * line.kept_quantity
            when: datetime = local(order.created_at)
            rows.append(
                [
                    safe_cell(v)
                    for v in (
                        order.id,
                        when.strftime("%Y-%m-%d %H:%M"),
                        order.kind,
                        order.customer_name or "",
                        order.status,
                        line.sku,
                        line.name,
                        line.quantity,
                        line.withdrawn_quantity,
                        to_decimal(line.unit_price_minor, order.currency),
                        to_decimal(kept, order.currency),
                        order.currency,
                        order.last_withdrawal_day.isoformat(),
                    )
                ]
            )
    return _csv(rows)
