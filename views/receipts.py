"""How an order reads: the receipt the reseller and the customer keep."""

from __future__ import annotations

from models import orders
from models.orders import Order, OrderLine, OrderStatus
from models.users import User
from views.dates import format_full_day, format_when
from views.i18n import _, ngettext
from views.money import money_for


def receipt(order: Order, lines: list[OrderLine], reader: User, *, reseller_name: str) -> str:
    """The order as the reader should keep it: what, how much, and until when they may withdraw."""
    rows = [
        _("Order no. {number} of {when}").format(
            number=order.id, when=format_when(order.created_at, tz=reader.timezone, lang=reader.locale)
        )
    ]
    if order.customer_name:
        rows.append(_("Customer: {name}").format(name=order.customer_name))
    else:
        rows.append(_("Own use (personal purchase)"))
    for line in lines:
        rows.append(
            _("{quantity} × {name}: {amount}").format(
                quantity=line.quantity,
                name=line.name_in(reader.locale),
                amount=money_for(line.unit_price_minor * line.quantity, order.currency, reader),
            )
        )
        if line.withdrawn_quantity:
            rows.append("   " + _("withdrawn: {quantity}").format(quantity=line.withdrawn_quantity))
    rows.append(_("Total: {total}").format(total=money_for(orders.gross(lines), order.currency, reader)))
    if order.status == OrderStatus.CANCELLED:
        rows.append(_("🚫 This order has been cancelled."))
    elif any(ln.withdrawn_quantity for ln in lines):
        rows.append(
            _("Still due after withdrawals: {total}").format(
                total=money_for(orders.net(order, lines), order.currency, reader)
            )
        )
    if orders.has_withdrawal_right(order, lines):
        rows.append(
            ngettext(
                "Right of withdrawal: you may withdraw from this purchase within {days} day, until {day}, "
                "without giving a reason: just tell your advisor, {reseller}.",
                "Right of withdrawal: you may withdraw from this purchase within {days} days, until {day}, "
                "without giving a reason: just tell your advisor, {reseller}.",
                order.withdrawal_days,
            ).format(
                day=format_full_day(order.last_withdrawal_day, lang=reader.locale),
                days=order.withdrawal_days,
                reseller=reseller_name,
            )
        )
    return "\n".join(rows)
