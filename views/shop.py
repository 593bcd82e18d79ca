"""How the online shop reads: the catalog with its basket, the review before ordering, the
advisor's view of a request, and the customer's answer. Pure functions of the data and reader."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from models.catalog import Product
from models.demos import Demo
from models.orders import OrderSource
from models.shop import Delivery, OrderRequest, RequestLine, total
from models.users import User
from views.callbacks import (
    RequestAccept,
    RequestChange,
    RequestRefuse,
    RequestStep,
    ShopCheckout,
    ShopEmpty,
    ShopPage,
    ShopProduct,
    ShopQuantity,
)
from views.i18n import N_, _, ngettext
from views.keyboards import keyboard
from views.money import money_for
from views.paging import Page, with_nav

SHOP_PAGE = 8  # products a page: with the basket's lines, the message stays short
Lines = list[tuple[RequestLine, Product]]


@dataclass(frozen=True)
class ShopHeader:
    advisor: str
    host: str | None = None  # the party's host, for a party's shop


def header_text(header: ShopHeader) -> str:
    if header.host:
        return _("🛍 The shop of {host}'s party, with {advisor}.").format(host=header.host, advisor=header.advisor)
    return _("🛍 The shop of {advisor}.").format(advisor=header.advisor)


def basket_text(lines: Lines, reader: User) -> str:
    if not lines:
        return _("Your basket is empty.")
    rows = [_("Your basket:")]
    for line, product in lines:
        rows.append(
            _("{quantity} × {name}: {amount}").format(
                quantity=line.quantity,
                name=product.name_in(reader.locale),
                amount=money_for(product.unit_price_minor * line.quantity, product.currency, reader),
            )
        )
    rows.append(_("Total: {total}").format(total=money_for(total(lines), lines[0][1].currency, reader)))
    return "\n".join(rows)


def shop_view(
    header: ShopHeader, request_id: int, lines: Lines, page: Page[Product], reader: User
) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n\n".join(
        [header_text(header), basket_text(lines, reader), _("Choose a product to add it to your basket.")]
    )
    rows = [
        [
            (
                f"{p.name_in(reader.locale)} · {money_for(p.unit_price_minor, p.currency, reader)}",
                ShopProduct(request_id, p.id),
            )
        ]
        for p in page.items
    ]
    rows = with_nav(rows, page, lambda n: ShopPage(request_id, n))
    if lines:
        rows.append([(_("🧺 Order"), ShopCheckout(request_id)), (_("Empty the basket"), ShopEmpty(request_id))])
    return text, keyboard(rows)


def quantity_question(request_id: int, product: Product, reader: User) -> tuple[str, InlineKeyboardMarkup]:
    text = _("{name} at {price}. How many? Choose or type a number.").format(
        name=product.name_in(reader.locale), price=money_for(product.unit_price_minor, product.currency, reader)
    )
    return text, keyboard([[(str(n), ShopQuantity(request_id, product.id, n)) for n in range(1, 6)]])


def distance_withdrawal(days: int) -> str:
    return ngettext(
        "Right of withdrawal: this is a distance contract. You may withdraw within {days} day from delivery, "
        "without giving a reason, by telling the advisor.",
        "Right of withdrawal: this is a distance contract. You may withdraw within {days} days from delivery, "
        "without giving a reason, by telling the advisor.",
        days,
    ).format(days=days)


def delivery_text(request: OrderRequest, host: str | None) -> str:
    if request.delivery == Delivery.COLLECT:
        return _("Delivery: to collect from {host}.").format(host=host or "")
    return _("Delivery to: {address}").format(address=request.address or "")


def review_text(request: OrderRequest, lines: Lines, reader: User, *, host: str | None, days: int) -> str:
    return "\n\n".join(
        [
            _("Please check your order.") + "\n" + _("Name: {name}").format(name=request.customer_name or ""),
            basket_text(lines, reader),
            delivery_text(request, host),
            distance_withdrawal(days),
            _("The advisor confirms the order and tells you here; you pay them as agreed, unless told otherwise."),
        ]
    )


SOURCES = {
    OrderSource.DEMO: N_("at demos"),
    OrderSource.PARTY_LINK: N_("party links"),
    OrderSource.PERSONAL_LINK: N_("personal link or code"),
    OrderSource.DIRECT: N_("other sales"),
}


def source_label(source: OrderSource) -> str:
    return _(SOURCES[source])


def by_source_text(amounts: dict[OrderSource, int], currency: str, reader: User) -> str:
    """Sales by where they came from, in a fixed order; sources with no sales left out."""
    parts = [
        _("{source}: {amount}").format(source=source_label(s), amount=money_for(amounts[s], currency, reader))
        for s in SOURCES
        if amounts.get(s)
    ]
    return _("Sales by source: {parts}").format(parts=" · ".join(parts) if parts else "—")


# ---- the advisor ----


def request_for_advisor(
    request: OrderRequest, lines: Lines, reader: User, *, demo: Demo | None, editing: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    host = demo.host_name if demo else None
    where = (
        _("through the shop of {host}'s party").format(host=host)
        if demo
        else _("through your personal shop link or code")
    )
    kept = [(line, product) for line, product in lines if line.quantity]
    text = "\n\n".join(
        [
            _("🛍 Online order no. {number} from {name}, {where}.").format(
                number=request.id, name=request.customer_name or "", where=where
            ),
            basket_text(kept, reader),
            delivery_text(request, host),
        ]
    )
    rows: list[list] = []
    if editing:
        for line, product in lines:
            rows.append(
                [
                    (
                        _("➖ {name} ({quantity})").format(name=product.name_in(reader.locale), quantity=line.quantity),
                        RequestStep(request.id, line.id, -1),
                    ),
                    (_("➕"), RequestStep(request.id, line.id, 1)),
                ]
            )
        rows.append([(_("✅ Accept as changed"), RequestAccept(request.id))])
    else:
        rows.append([(_("✅ Accept"), RequestAccept(request.id)), (_("✏️ Change"), RequestChange(request.id))])
    rows.append([(_("✖️ Refuse"), RequestRefuse(request.id))])
    return text, keyboard(rows)
