"""Reports: host rewards, compliance warning signs, and CSV cells a spreadsheet reads safely."""

from __future__ import annotations

from collections.abc import Callable

from models import compliance, rewards
from models.users import User
from views.dates import format_days
from views.i18n import N_, _, ngettext
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
