"""What a refusal says: one message per domain error code, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from models import DomainError
from models.catalog import Names
from views.dates import format_duration, format_full_day
from views.i18n import N_, _, current_locale, current_timezone, ngettext
from views.money import format_money, format_rate

# A message is marked text, or (where a number is counted) a function of the parameters that picks
# the plural form with ngettext.
MESSAGES: dict[str, str | Callable[[dict], str]] = {
    # the online shop (handlers.shop)
    "shop_party_closed": N_("This party no longer takes orders. Ask the host or the advisor about a new one."),
    "shop_link_unknown": N_("This shop link is not valid. Please ask for it again."),
    "code_tries_exceeded": N_("Too many codes that do not exist. Please try again in an hour."),
    "code_own": N_("This is your own code: share it with your customers. /shop shows your link."),
    "basket_not_found": N_("This basket is not yours, or no longer exists."),
    "basket_placed": N_("This order has already been sent to the advisor."),
    "product_unavailable": N_("This product is not available at the moment."),
    "product_unavailable_named": N_("{name} is no longer available. Please remove it from your order."),
    "delivery_address_empty": N_("Please type the delivery address: street, number, postcode and town."),
    "request_not_found": N_("This online order is not available to you."),
    "request_answered": N_("This online order has already been answered."),
    "request_empty": N_("No products left in this order: refuse it instead."),
    "already_delivered": N_("This order is already marked as delivered."),
    "order_not_payable": N_("This order can no longer be paid online. Please ask your advisor."),
    "not_a_seller": N_(
        "This is for HomeDemo advisors. If you are one, ask the person who brought you in "
        "for an invite link and open it."
    ),
    "finish_onboarding": N_("Please finish setting up your profile first: send /start."),
    "name_empty": N_("The name cannot be empty. Please type it again."),
    "name_too_long": lambda p: ngettext(
        "That is too long: at most {limit} character, please. Type it again.",
        "That is too long: at most {limit} characters, please. Type it again.",
        p["limit"],
    ),
    "invite_unknown": N_("This invite link is not valid. Ask for a new one."),
    "invite_used": N_("This invite link has already been used. Each link works once: ask for a new one."),
    "invite_expired": N_("This invite link has expired. Ask for a new one."),
    "invite_already_seller": N_("You are already a HomeDemo advisor, so this invite is not needed."),
    "host_name_empty": N_("Please type the host's name."),
    "host_name_too_long": lambda p: ngettext(
        "The host's name can be at most {limit} character long. Please type it again.",
        "The host's name can be at most {limit} characters long. Please type it again.",
        p["limit"],
    ),
    "address_empty": N_("Please type the address of the demo."),
    "address_too_long": lambda p: ngettext(
        "The address can be at most {limit} character long (length now: {length}). "
        "Please type just the street, number and town.",
        "The address can be at most {limit} characters long (length now: {length}). "
        "Please type just the street, number and town.",
        p["limit"],
    ),
    "notes_too_long": lambda p: ngettext(
        "Notes can be at most {limit} character long (length now: {length}). Please shorten them.",
        "Notes can be at most {limit} characters long (length now: {length}). Please shorten them.",
        p["limit"],
    ),
    "phone_too_long": N_("That phone number is too long. Please type it again."),
    "phone_invalid": N_(
        "That does not look like a phone number. Type it again, for example +39 333 123 4567, or press Skip."
    ),
    "duration_range": N_("A demo lasts from {shortest_minutes} to {longest_minutes}. Please type the duration again."),
    "duration_unreadable": N_("I could not read that duration. Type it like 2, 1:30 or 90 min."),
    "date_unreadable": N_(
        "I could not read that date. Type it like “{example}” or “{relative}”, or choose a day below."
    ),
    "date_weekday_mismatch": N_(
        "That reads as {date}, but you wrote {weekday}. Please check the day and type it again."
    ),
    "date_impossible": N_("That date does not exist. Please check the day and the month and type it again."),
    "date_too_far": lambda p: ngettext(
        "That is more than {months} month ahead. Please check the year, or choose a nearer day.",
        "That is more than {months} months ahead. Please check the year, or choose a nearer day.",
        p["months"],
    ),
    "date_past": N_("That day has already passed. Please choose a day from today on."),
    "time_unreadable": N_("I could not read that time. Type it like 18:30."),
    "time_past": N_("That time has already passed. Please type a later time, or change the day."),
    "time_gap": N_(
        "On that night the clocks go forward, so {time} does not exist in your timezone. Please type another time."
    ),
    "timezone_unknown": N_(
        "I don't know that place. Try your country (Italia), a big city near you (Roma, London) "
        "or a timezone name such as Europe/Rome, or choose below."
    ),
    "demo_not_found": N_("This demo is not available to you."),
    "host_link_unknown": N_("This link is not valid. Please ask your advisor to send it again."),
    "host_link_own": N_("This is the link for your host: forward it to them. Your demos are in /demos."),
    "host_link_taken": N_(
        "This invitation has already been opened by another Telegram account. "
        "If it is meant for you, please ask your advisor."
    ),
    "demo_cancelled": N_("This demo has been cancelled."),
    "demo_started": N_("This demo has already started, so it can no longer be changed here."),
    "already_confirmed": N_("You have already confirmed this demo. Thank you!"),
    "already_declined": N_("You have already declined this demo."),
    "same_time": N_("That is the time already set. Please choose a different one."),
    "no_proposal": N_("There is no pending proposal for this demo any more."),
    "proposal_past": N_("The proposed time has already passed. Please reschedule the demo instead."),
    "stale_button": N_("This button is no longer active."),
    "guest_link_unknown": N_("This guest link is not valid. Please ask for it again."),
    "demo_over": N_("This demo is already over."),
    "already_registered": N_("You are already on the guest list of this demo."),
    "already_not_coming": N_("You have already told us you can't come."),
    "capacity_range": N_("Type a number of guests from 1 to {high}, or press No limit."),
    "guest_not_found": N_("This guest is not available to you."),
    "amount_unreadable": N_("That is not an amount of money."),
    "amount_too_precise": N_("That amount has more decimals than the currency allows."),
    "catalog_invalid": lambda p: ngettext(
        "The catalog file has {count} problem; nothing was imported.",
        "The catalog file has {count} problems; nothing was imported.",
        p["count"],
    ),
    "catalog_columns": N_(
        "the header must name the columns sku, name, price, currency (and optionally active and the names per "
        "language name_it, name_en, name_de, name_es, name_fr); missing: {columns}"
    ),
    "catalog_sku": lambda p: ngettext(
        "the SKU is missing or longer than {limit} character",
        "the SKU is missing or longer than {limit} characters",
        p["limit"],
    ),
    "catalog_sku_twice": N_("the SKU {sku} appears twice in the file"),
    "catalog_name": lambda p: ngettext(
        "the name is missing or longer than {limit} character",
        "the name is missing or longer than {limit} characters",
        p["limit"],
    ),
    "catalog_name_language": lambda p: ngettext(
        "the name in the column {column} is longer than {limit} character",
        "the name in the column {column} is longer than {limit} characters",
        p["limit"],
    ),
    "catalog_currency": N_("“{currency}” is not an ISO currency code such as EUR"),
    "catalog_price": N_("the price “{price}” is not an amount"),
    "catalog_price_not_positive": N_("the price must be above zero (it is {price})"),
    "catalog_active": N_("active must be yes or no (it is “{value}”)"),
    "quantity_not_whole": N_("The quantity must be a whole number, like 1 or 2. Please type it again."),
    "quantity_range": N_("The quantity must be between 1 and {high}. Please type it again."),
    "reason_needed": N_("Please type a short reason: it is kept in the order's history."),
    "reason_too_long": lambda p: ngettext(
        "The reason can be at most {limit} character long.",
        "The reason can be at most {limit} characters long.",
        p["limit"],
    ),
    "order_empty": N_("Add at least one product first."),
    "order_too_many_lines": lambda p: ngettext(
        "An order can have at most {limit} line. Review this one, then log the rest as another order.",
        "An order can have at most {limit} lines. Review this one, then log the rest as another order.",
        p["limit"],
    ),
    "product_unknown": N_("No product matches “{query}”. Try another name or the SKU; /catalog lists them all."),
    "product_inactive": N_("{name} is no longer sold, so it cannot be ordered."),
    "order_not_found": N_("This order is not available to you."),
    "order_mixed_currencies": N_("All products of one order must be in the same currency."),
    "order_cancelled": N_("This order has been cancelled, so it can no longer be changed."),
    "withdrawal_period_over": N_("The withdrawal period of this order is over. Its last day was {last_day}."),
    "withdrawal_nothing": N_("There is nothing left to withdraw in this order."),
    "withdrawal_too_many": lambda p: ngettext(
        "{name}: only {kept} unit can still be withdrawn. Please type the quantity again.",
        "{name}: only {kept} units can still be withdrawn. Please type the quantity again.",
        p["kept"],
    ),
    "correction_below_withdrawn": lambda p: ngettext(
        "{withdrawn} unit was already withdrawn: the quantity cannot go below that.",
        "{withdrawn} units were already withdrawn: the quantity cannot go below that.",
        p["withdrawn"],
    ),
    "correction_same": N_("That is the quantity already recorded."),
    "rewards_invalid": N_("The host reward table is not valid: {reason}"),
    "plan_invalid": N_("The commission plan is not valid (line {line}): {reason}"),
    "plan_no_version": N_("The commission plan has no version in force on this date: {day}."),
    "member_not_found": N_("This person is not in your team."),
    "admins_only": N_("Only an admin can do this."),
    "cannot_promote": N_("Only an active reseller can be promoted to manager."),
    "cannot_deactivate": N_("This person cannot be deactivated."),
    "buy_back_own_use_only": N_("A buy-back is for stock you bought for yourself (own use)."),
    "buy_back_below_minimum": N_(
        "The refund must be at least {minimum_minor}, that is {share_bp} of the price paid (Law 173/2005, art. 6)."
    ),
    "period_unreadable": N_("Name the month like 2026-11."),
    "party_closed": N_(
        "This party is closed: it no longer takes orders, and its host reward is frozen. Orders now go without a party."
    ),
    "party_close_before_demo": N_("The party cannot close before the day of the demo. Please choose a later day."),
    "party_close_too_late": lambda p: ngettext(
        "A party can stay open at most {days} day after the demo. Please choose an earlier day.",
        "A party can stay open at most {days} days after the demo. Please choose an earlier day.",
        p["days"],
    ),
    "party_close_past": N_("That day has already ended. Please choose a day from today on."),
    "party_not_closed": N_("The party is still open: its host reward is not final yet."),
    "redemption_too_much": N_("Only {available_minor} of the host reward is left to use."),
    "erasure_no_successor": N_(
        "Your upcoming demos need someone to take them over, and there is nobody: ask an admin first."
    ),
}


def error_text(error: DomainError) -> str:
    """Parameters are shown the reader's way, by their name's ending: `_minor` an amount of money,
    `_bp` a rate in basis points, `_minutes` a duration, `_day` a date; a product's `Names` in the
    reader's language."""
    lang, tz = current_locale(), current_timezone()
    params = dict(error.params)
    for key, value in error.params.items():
        if key.endswith("_minor"):
            params[key] = format_money(value, str(params.get("currency", "EUR")), lang=lang, tz=tz)
        elif key.endswith("_bp"):
            params[key] = format_rate(value, lang=lang, tz=tz)
        elif key.endswith("_minutes"):
            params[key] = format_duration(value, lang=lang)
        elif key.endswith("_day") and isinstance(value, date):
            params[key] = format_full_day(value, lang=lang)
        elif isinstance(value, Names):
            params[key] = value.name_in(lang)
    message = MESSAGES[error.code]
    return (message(error.params) if callable(message) else _(message)).format(**params)
