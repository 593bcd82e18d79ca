"""/order: logging a sale, or the reseller's own purchase. Later changes are in order_changes.

```mermaid
stateDiagram-v2
    [*] --> PICK_DEMO: /order
    [*] --> PICK_CUSTOMER: New order (from a demo)
    PICK_DEMO --> PICK_CUSTOMER
    PICK_CUSTOMER --> NEW_NAME: New customer
    NEW_NAME --> NEW_PHONE
    NEW_PHONE --> ITEMS
    PICK_CUSTOMER --> ITEMS: attendee or own use
    ITEMS --> QUANTITY: product found
    QUANTITY --> ITEMS: line added
    ITEMS --> REVIEW: Review
    REVIEW --> [*]: Confirm (one order, however often pressed)
```
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import Context
from handlers.common import ack, answer, cancel, keyboard, say, seller_scope, tell
from models import DomainError, catalog, commissions, demos, guests, notifications, orders, party_close, users
from models.orders import Customer
from models.users import User
from views.callbacks import (
    DemoNewOrder,
    OrderAtDemo,
    OrderConfirm,
    OrderDrop,
    OrderForGuest,
    OrderGuestsPage,
    OrderNewCustomer,
    OrderOwnUse,
    OrderProduct,
    OrderQuantity,
    OrderReview,
    OrderSkipPhone,
    OrderUndo,
    OrderView,
    OrderWithoutDemo,
)
from views.dates import format_clock, format_day, to_local
from views.guests import GUESTS_PAGE
from views.i18n import _, home_region, ngettext
from views.money import money_for
from views.paging import locate, window, with_nav
from views.receipts import receipt

PICK_DEMO, PICK_CUSTOMER, NEW_NAME, NEW_PHONE, ITEMS, QUANTITY, REVIEW = (
    "pick_demo",
    "pick_customer",
    "new_name",
    "new_phone",
    "items",
    "quantity",
    "review",
)
END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND
DRAFT = "od"
# /order offers the demos of the last two weeks (most recent first) and of the coming month.
RECENT, UPCOMING, DEMO_BUTTONS = timedelta(days=14), timedelta(days=31), 4


def _draft(context: Context) -> dict:
    return context.user_data.setdefault(DRAFT, {})


async def start_order(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        context.user_data[DRAFT] = {"key": secrets.token_urlsafe(16), "items": []}
        if update.callback_query:  # "New order" on a demo's page: the demo is known
            demo = await demos.demo_of_reseller(session, demo_id=DemoNewOrder.of(update).demo_id, reseller=me)
            _require_party_open(demo, context)
            await ack(update)
            return await _ask_customer(update, context, session, me, demo)
        around = await demos.demos_around(
            session, reseller_id=me.id, now=context.clock.now(), back=RECENT, ahead=UPCOMING, each=DEMO_BUTTONS
        )
        now = context.clock.now()
        offered = [d for d in [*around.recent, *around.upcoming] if party_close.party_open_for_orders(d, now)]
        rows = [[(_demo_label(d, me), OrderAtDemo(d.id))] for d in offered]
        rows.append([(_("No demo (a sale elsewhere)"), OrderWithoutDemo())])
        await say(
            update,
            _("New order. Was it sold at one of your recent or upcoming demos? /cancel stops."),
            reply_markup=keyboard(rows),
        )
        return PICK_DEMO


def _require_party_open(demo: demos.Demo, context: Context) -> None:
    """A party takes orders until its close; after it, a sale is logged without a party."""
    if not party_close.party_open_for_orders(demo, context.clock.now()):
        raise DomainError("party_closed")


def _demo_label(demo: demos.Demo, me: User) -> str:
    """Short enough for a phone's button: 'sab 29 mar 18:30 · Anna Bianchi'."""
    day = format_day(to_local(demo.starts_at, me.timezone).date(), lang=me.locale, tz=me.timezone)
    when = day + " " + format_clock(demo.starts_at, tz=me.timezone, lang=me.locale)
    return _("{when} · {host}").format(when=when, host=demo.host_name)


async def pick_demo(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        await ack(update)
        demo = await demos.demo_of_reseller(session, demo_id=OrderAtDemo.of(update).demo_id, reseller=me)
        _require_party_open(demo, context)
        return await _ask_customer(update, context, session, me, demo)


async def pick_no_demo(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        await ack(update)
        return await _ask_customer(update, context, session, me, None)


async def _ask_customer(update: Update, context: Context, session, me: User, demo: demos.Demo | None) -> str:
    if demo is not None and demo.status == demos.DemoStatus.CANCELLED:
        raise DomainError("demo_cancelled")
    _draft(context)["demo_id"] = demo.id if demo else None
    await say(
        update,
        _("Who is buying? “Own use” is your personal purchase: it is kept apart from your sales."),
        reply_markup=await _customer_keyboard(session, demo, 0),
    )
    return PICK_CUSTOMER


async def _customer_keyboard(session, demo: demos.Demo | None, page: int):
    """The demo's guests who may buy, a page at a time, then “New customer” and “Own use”."""
    rows = []
    if demo is not None:
        total = await guests.count_guests(session, demo.id, which="present")
        number, offset = locate(page, total=total, size=GUESTS_PAGE)
        present = await guests.guests_of_demo(session, demo.id, which="present", offset=offset, limit=GUESTS_PAGE)
        rows = with_nav(
            [[(g.name, OrderForGuest(g.id))] for g in present],
            window(present, number=number, total=total, size=GUESTS_PAGE),
            OrderGuestsPage,
        )
    rows.append([(_("➕ New customer"), OrderNewCustomer()), (_("🏠 Own use"), OrderOwnUse())])
    return keyboard(rows)


async def turn_customer_page(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        demo_id = _draft(context).get("demo_id")
        if demo_id is None:
            raise DomainError("stale_button")
        demo = await demos.demo_of_reseller(session, demo_id=demo_id, reseller=me)
        await answer(
            update,
            _("Who is buying? “Own use” is your personal purchase: it is kept apart from your sales."),
            await _customer_keyboard(session, demo, OrderGuestsPage.of(update).page),
            edit=True,
        )
        return PICK_CUSTOMER


async def pick_guest(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        guest, demo = await guests.guest_of_reseller(session, guest_id=OrderForGuest.of(update).guest_id, reseller=me)
        if demo.id != _draft(context).get("demo_id"):
            raise DomainError("stale_button")
        await ack(update)
        _draft(context)["customer"] = {"guest_id": guest.id, "label": guest.name}
        return await _ask_product(update)


async def pick_own_use(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        _draft(context)["customer"] = {"own_use": True, "label": _("own use")}
        return await _ask_product(update)


async def pick_new_customer(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        await say(update, _("The customer's name?"))
        return NEW_NAME


async def save_new_name(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        name = users.validate_display_name(update.message.text)
        _draft(context)["customer"] = {"name": name, "label": name}
        await say(
            update, _("Their phone number? It is optional."), reply_markup=keyboard([[(_("Skip"), OrderSkipPhone())]])
        )
        return NEW_PHONE


async def save_new_phone(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (_session, me):
        _draft(context)["customer"]["phone"] = demos.validate_phone(
            update.message.text, region=home_region(me.timezone)
        )
        return await _ask_product(update)


async def skip_new_phone(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        return await _ask_product(update)


async def _ask_product(update: Update) -> str:
    await say(update, _("Which product? Type its name or SKU (/catalog lists them)."))
    return ITEMS


async def find_product(update: Update, context: Context) -> str:
    query = update.message.text.strip()
    async with seller_scope(update, context) as (session, me):
        found = await catalog.find_products(session, query, lang=me.locale)
        if not found:
            raise DomainError("product_unknown", query=query[:40])
        if len(found) > 1:
            rows = [
                [(f"{p.name_in(me.locale)} · {money_for(p.unit_price_minor, p.currency, me)}", OrderProduct(p.id))]
                for p in found
            ]
            await say(update, _("Several products match. Which one?"), reply_markup=keyboard(rows))
            return ITEMS
        return await _product_chosen(update, context, me, found[0])


async def pick_product(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        product_id = OrderProduct.of(update).product_id
        product = await session.get(catalog.Product, product_id)
        if product is None:
            raise DomainError("product_unknown", query=str(product_id))
        await ack(update)
        return await _product_chosen(update, context, me, product)


async def _product_chosen(update: Update, context: Context, me: User, product: catalog.Product) -> str:
    if not product.active:
        raise DomainError("product_inactive", name=product.shown_names())
    orders.check_line_count(len(_draft(context).get("items", [])) + 1)  # refused here, while Review still works
    _draft(context)["product_id"] = product.id
    rows = [[(str(n), OrderQuantity(n)) for n in range(1, 6)]]
    await say(
        update,
        _("{name} at {price}. How many?").format(
            name=product.name_in(me.locale), price=money_for(product.unit_price_minor, product.currency, me)
        ),
        reply_markup=keyboard(rows),
    )
    return QUANTITY


async def save_typed_quantity(update: Update, context: Context) -> str:
    return await _add_line(update, context, orders.validate_quantity(update.message.text))


async def save_picked_quantity(update: Update, context: Context) -> str:
    await ack(update)
    return await _add_line(update, context, orders.validate_quantity(OrderQuantity.of(update).quantity))


async def _add_line(update: Update, context: Context, quantity: int) -> str:
    async with seller_scope(update, context) as (session, me):
        draft = _draft(context)
        if "product_id" not in draft:
            raise DomainError("stale_button")
        draft["items"].append([draft.pop("product_id"), quantity])
        text, _total = await _cart_text(session, draft, me)
        rows = [[(_("✅ Review order"), OrderReview()), (_("↩️ Remove last"), OrderUndo())]]
        await say(update, text + "\n\n" + _("Type another product, or review the order."), reply_markup=keyboard(rows))
        return ITEMS


async def _cart_text(session, draft: dict, me: User) -> tuple[str, int]:
    lines, total, currency = [], 0, None
    for product_id, quantity in draft["items"]:
        product = await session.get(catalog.Product, product_id)
        currency = product.currency
        total += product.unit_price_minor * quantity
        lines.append(
            _("{quantity} × {name}: {amount}").format(
                quantity=quantity,
                name=product.name_in(me.locale),
                amount=money_for(product.unit_price_minor * quantity, product.currency, me),
            )
        )
    if currency is None:
        return _("The order is empty."), 0
    return "\n".join(lines) + "\n" + _("Total: {total}").format(total=money_for(total, currency, me)), total


async def remove_last(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        await ack(update)
        draft = _draft(context)
        if draft.get("items"):
            draft["items"].pop()
        text, _total = await _cart_text(session, draft, me)
        await say(
            update,
            text + "\n\n" + _("Type another product, or review the order."),
            reply_markup=keyboard([[(_("✅ Review order"), OrderReview())]]),
        )
        return ITEMS


async def review(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        draft = _draft(context)
        if not draft.get("items"):
            raise DomainError("order_empty")
        await ack(update)
        demo = (
            await demos.demo_of_reseller(session, demo_id=draft["demo_id"], reseller=me)
            if draft.get("demo_id")
            else None
        )
        policy = context.settings.withdrawal_policy
        days = policy.days_home_demo if demo else policy.days
        text, _total = await _cart_text(session, draft, me)
        where = _("at the demo at {host}'s").format(host=demo.host_name) if demo else _("outside a demo")
        summary = (
            _("Customer: {customer}, {where}.").format(customer=draft["customer"]["label"], where=where) + "\n" + text
        )
        if not draft["customer"].get("own_use"):
            summary += "\n\n" + ngettext(
                "The customer may withdraw within {days} day without giving a reason.",
                "The customer may withdraw within {days} days without giving a reason.",
                days,
            ).format(days=days)
        rows = [[(_("✅ Confirm order"), OrderConfirm()), (_("✖️ Cancel"), OrderDrop())]]
        await say(update, summary, reply_markup=keyboard(rows))
        return REVIEW


async def confirm(update: Update, context: Context) -> int:
    draft = _draft(context)
    async with seller_scope(update, context) as (session, me):
        demo = (
            await demos.demo_of_reseller(session, demo_id=draft["demo_id"], reseller=me)
            if draft.get("demo_id")
            else None
        )
        if demo is not None:
            _require_party_open(demo, context)  # it may have closed while the order was typed
        spec = draft["customer"]
        order = await orders.create_order(
            session,
            reseller=me,
            demo=demo,
            customer=Customer(
                guest_id=spec.get("guest_id"),
                name=spec.get("name"),
                phone=spec.get("phone"),
                own_use=bool(spec.get("own_use")),
            ),
            items=[(p, q) for p, q in draft["items"]],
            idempotency_key=draft["key"],
            policy=context.settings.withdrawal_policy,
            now=context.clock.now(),
        )
        lines = await orders.lines_of(session, order.id)
        customer = await users.get_user(session, order.customer_user_id) if order.customer_user_id else None
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=context.clock.now())
        if order.kind == orders.OrderKind.RETAIL:  # after-sale care, some weeks on
            await notifications.plan_aftercare(
                session,
                order_id=order.id,
                reseller_id=me.id,
                ordered_at=order.created_at,
                plan=context.settings.reminder_plan,
                now=context.clock.now(),
            )
        await tell(context, customer, "order_receipt", order_id=order.id)
    context.user_data.pop(DRAFT, None)
    await answer(update, _("Order saved. Here is the receipt:"), edit=True)
    await say(
        update,
        receipt(order, lines, me, reseller_name=me.display_name),
        reply_markup=keyboard([[(_("Open the order"), OrderView(order.id))]]),
    )
    return END


def handlers() -> list:
    new_order = ConversationHandler(
        name="order",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("order", start_order),
            CallbackQueryHandler(start_order, pattern=DemoNewOrder.matches),
        ],
        states={
            PICK_DEMO: [
                CallbackQueryHandler(pick_demo, pattern=OrderAtDemo.matches),
                CallbackQueryHandler(pick_no_demo, pattern=OrderWithoutDemo.matches),
            ],
            PICK_CUSTOMER: [
                CallbackQueryHandler(pick_guest, pattern=OrderForGuest.matches),
                CallbackQueryHandler(pick_own_use, pattern=OrderOwnUse.matches),
                CallbackQueryHandler(turn_customer_page, pattern=OrderGuestsPage.matches),
                CallbackQueryHandler(pick_new_customer, pattern=OrderNewCustomer.matches),
            ],
            NEW_NAME: [MessageHandler(TEXT, save_new_name)],
            NEW_PHONE: [
                CallbackQueryHandler(skip_new_phone, pattern=OrderSkipPhone.matches),
                MessageHandler(TEXT, save_new_phone),
            ],
            ITEMS: [
                CallbackQueryHandler(pick_product, pattern=OrderProduct.matches),
                CallbackQueryHandler(review, pattern=OrderReview.matches),
                CallbackQueryHandler(remove_last, pattern=OrderUndo.matches),
                MessageHandler(TEXT, find_product),
            ],
            QUANTITY: [
                CallbackQueryHandler(save_picked_quantity, pattern=OrderQuantity.matches),
                MessageHandler(TEXT, save_typed_quantity),
            ],
            REVIEW: [
                CallbackQueryHandler(confirm, pattern=OrderConfirm.matches),
                CallbackQueryHandler(cancel, pattern=OrderDrop.matches),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [new_order]
