"""The online shop: a party's shop link (p_), an advisor's personal link (c_) or code (/code);
the basket, the customer's name and delivery, the order request; the advisor's answer; paying
in Telegram when a payment provider is configured.

```mermaid
stateDiagram-v2
    [*] --> BROWSE: /start p_<token>, /start c_<code>, /code CODE
    [*] --> CODE: /shop or /code (a customer)
    CODE --> BROWSE: a code that exists
    BROWSE --> QUANTITY: a product
    QUANTITY --> BROWSE: 1-5 or a typed number
    BROWSE --> NAME: Order
    NAME --> ADDRESS: Delivery to an address
    NAME --> [*]: Collect from the host, then Send the order
    ADDRESS --> [*]: Send the order
```
The basket lives in the database (models.shop), so every button re-enters the conversation
(allow_reentry) after checking that the basket is the presser's and its party still open.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import Context
from handlers.common import (
    ack,
    answer,
    cancel,
    keyboard,
    say,
    sender_locale,
    tell,
    user_scope,
)
from models import DomainError, catalog, shop, users
from models.demos import Demo
from models.shop import Delivery, OrderRequest
from models.users import User
from views import links
from views.callbacks import (
    ShopAddress,
    ShopCheckout,
    ShopCollect,
    ShopEmpty,
    ShopPage,
    ShopPlace,
    ShopProduct,
    ShopQuantity,
    ShopTelegramName,
)
from views.i18n import _
from views.paging import locate, window
from views.shop import (
    SHOP_PAGE,
    ShopHeader,
    quantity_question,
    review_text,
    shop_view,
)

BROWSE, QUANTITY, NAME, ADDRESS, CODE = "browse", "quantity", "name", "address", "code"
END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND
DRAFT = "shop"


async def _customer(update: Update, context: Context, me: User | None, session) -> User:
    if me is not None:
        return me
    sender = update.effective_user
    return await users.get_or_create_user(
        session,
        telegram_id=sender.id,
        name=sender.full_name,
        locale=sender_locale(update, context),
        timezone=context.settings.default_timezone,
        now=context.clock.now(),
    )


async def open_party_shop(update: Update, context: Context) -> str:
    token = context.args[0][len(links.PARTY_SHOP) :]
    async with user_scope(update, context) as (session, me):
        demo = await shop.party_for_link(session, token=token, now=context.clock.now())
        me = await _customer(update, context, me, session)
        reseller = await users.get_user(session, demo.reseller_id)
        return await _open(update, context, session, me, reseller, demo)


async def open_personal_shop(update: Update, context: Context) -> str | int:
    return await _by_code(update, context, context.args[0][len(links.PERSONAL_SHOP) :])


async def ask_code(update: Update, context: Context) -> str | int:
    """/code CODE opens that advisor's shop; /shop or /code alone asks for the code. An advisor's
    /shop shows their own link and code instead."""
    if context.args:
        return await _by_code(update, context, " ".join(context.args))
    async with user_scope(update, context) as (session, me):
        if me is not None and me.is_seller and update.message.text.startswith("/shop"):
            code = await shop.code_of(session, user=me, now=context.clock.now())
            await say(
                update,
                _(
                    "Your personal shop: whoever orders through this link, or types your code with /code, "
                    "orders from you, even without a party.\nLink: {link}\nCode: {code}"
                ).format(link=links.personal_shop_link(context.bot.username, code), code=code),
            )
            return END
        await say(update, _("Type your advisor's shop code. /cancel stops."))
        return CODE


async def typed_code(update: Update, context: Context) -> str | int:
    return await _by_code(update, context, update.message.text)


async def _by_code(update: Update, context: Context, code: str) -> str | int:
    async with user_scope(update, context) as (session, me):
        me = await _customer(update, context, me, session)
        advisor = await shop.advisor_for_code(session, text=code, user=me, now=context.clock.now())
        if advisor is None:
            # Not raised: the attempt is counted (and committed) for the limit on guessing.
            await say(update, _("There is no shop with this code. Please check it and type it again, or /cancel."))
            return CODE
        if advisor.id == me.id:
            raise DomainError("code_own")
        return await _open(update, context, session, me, advisor, None)


async def _open(update: Update, context: Context, session, me: User, reseller: User, demo: Demo | None) -> str:
    request = await shop.open_basket(session, customer=me, reseller=reseller, demo=demo, now=context.clock.now())
    context.user_data[DRAFT] = {"request_id": request.id}
    await _show(update, session, me, request, page=0, edit=False)
    return BROWSE


async def _show(update: Update, session, me: User, request: OrderRequest, *, page: int, edit: bool) -> None:
    reseller = await users.get_user(session, request.reseller_id)
    demo = await session.get(Demo, request.demo_id) if request.demo_id else None
    total = await catalog.count_active_products(session)
    number, offset = locate(page, total=total, size=SHOP_PAGE)
    products = await catalog.active_products(session, lang=me.locale, offset=offset, limit=SHOP_PAGE)
    text, markup = shop_view(
        ShopHeader(reseller.display_name, demo.host_name.split(" ")[0] if demo else None),
        request.id,
        await shop.lines_of(session, request.id),
        window(products, number=number, total=total, size=SHOP_PAGE),
        me,
    )
    await answer(update, text, markup, edit=edit)


async def _basket(session, context: Context, me: User | None, request_id: int) -> OrderRequest:
    request = await shop.basket_of(session, request_id=request_id, customer=me, now=context.clock.now())
    if context.user_data.get(DRAFT, {}).get("request_id") != request.id:
        context.user_data[DRAFT] = {"request_id": request.id}
    return request


async def turn_page(update: Update, context: Context) -> str:
    pressed = ShopPage.of(update)
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, pressed.request_id)
        await _show(update, session, me, request, page=pressed.page, edit=True)
        return BROWSE


async def pick_product(update: Update, context: Context) -> str:
    pressed = ShopProduct.of(update)
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, pressed.request_id)
        product = await session.get(catalog.Product, pressed.product_id)
        if product is None or not product.active:
            raise DomainError("product_unavailable")
        context.user_data[DRAFT]["product_id"] = product.id
        await ack(update)
        text, markup = quantity_question(request.id, product, me)
        await say(update, text, reply_markup=markup)
        return QUANTITY


async def pick_quantity(update: Update, context: Context) -> str:
    pressed = ShopQuantity.of(update)
    return await _add(update, context, pressed.request_id, pressed.product_id, pressed.quantity)


async def type_quantity(update: Update, context: Context) -> str:
    draft = context.user_data.get(DRAFT, {})
    if "product_id" not in draft:
        raise DomainError("stale_button")
    return await _add(update, context, draft["request_id"], draft["product_id"], update.message.text)


async def _add(update: Update, context: Context, request_id: int, product_id: int, quantity: int | str) -> str:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, request_id)
        await shop.set_quantity(
            session, request=request, product_id=product_id, quantity=quantity, now=context.clock.now()
        )
        await ack(update)
        await _show(update, session, me, request, page=0, edit=False)
        return BROWSE


async def empty(update: Update, context: Context) -> str:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, ShopEmpty.of(update).request_id)
        await shop.empty_basket(session, request=request, now=context.clock.now())
        await _show(update, session, me, request, page=0, edit=True)
        return BROWSE


async def checkout(update: Update, context: Context) -> str:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, ShopCheckout.of(update).request_id)
        if not await shop.lines_of(session, request.id):
            raise DomainError("order_empty")
        await ack(update)
        name = users.clean_name(update.effective_user.full_name)
        await say(
            update,
            _("Your name, for the order?"),
            reply_markup=keyboard([[(_("Use “{name}”").format(name=name), ShopTelegramName(request.id))]]),
        )
        return NAME


async def name_button(update: Update, context: Context) -> str:
    pressed = ShopTelegramName.of(update)
    return await _save_name(update, context, pressed.request_id, update.effective_user.full_name)


async def name_text(update: Update, context: Context) -> str:
    return await _save_name(update, context, context.user_data.get(DRAFT, {}).get("request_id", 0), update.message.text)


async def _save_name(update: Update, context: Context, request_id: int, name: str) -> str:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, request_id)
        shop.set_customer(request, name=name)
        await ack(update)
        demo = await session.get(Demo, request.demo_id) if request.demo_id else None
        rows = [[(_("📦 Delivery to an address"), ShopAddress(request.id))]]
        if demo is not None:
            rows.insert(0, [(_("🏠 Collect from {host}").format(host=demo.host_name), ShopCollect(request.id))])
        await say(update, _("How would you like to receive it?"), reply_markup=keyboard(rows))
        return BROWSE


async def ask_address(update: Update, context: Context) -> str:
    async with user_scope(update, context) as (session, me):
        await _basket(session, context, me, ShopAddress.of(update).request_id)
        await ack(update)
        await say(update, _("The delivery address? Street, number, postcode and town."))
        return ADDRESS


async def address_text(update: Update, context: Context) -> str:
    return await _review(update, context, context.user_data.get(DRAFT, {}).get("request_id", 0), update.message.text)


async def collect(update: Update, context: Context) -> str:
    return await _review(update, context, ShopCollect.of(update).request_id, None)


async def _review(update: Update, context: Context, request_id: int, address: str | None) -> str:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, request_id)
        delivery = Delivery.COLLECT if address is None else Delivery.ADDRESS
        shop.set_delivery(request, delivery=delivery, address=address)
        await ack(update)
        demo = await session.get(Demo, request.demo_id) if request.demo_id else None
        text = review_text(
            request,
            await shop.lines_of(session, request.id),
            me,
            host=demo.host_name if demo else None,
            days=context.settings.withdrawal_policy.days,
        )
        await say(update, text, reply_markup=keyboard([[(_("✅ Send the order"), ShopPlace(request.id))]]))
        return BROWSE


async def place(update: Update, context: Context) -> int:
    async with user_scope(update, context) as (session, me):
        request = await _basket(session, context, me, ShopPlace.of(update).request_id)
        await shop.place(session, request=request, now=context.clock.now())
        reseller = await users.get_user(session, request.reseller_id)
        await tell(context, reseller, "shop_request", request_id=request.id)
        context.user_data.pop(DRAFT, None)
        await answer(
            update,
            _("Thank you! Your order no. {number} has been sent to {advisor}, who will confirm it here.").format(
                number=request.id, advisor=reseller.display_name
            ),
            edit=True,
        )
        return END


def handlers() -> list:
    buttons = [
        CallbackQueryHandler(turn_page, pattern=ShopPage.matches),
        CallbackQueryHandler(pick_product, pattern=ShopProduct.matches),
        CallbackQueryHandler(pick_quantity, pattern=ShopQuantity.matches),
        CallbackQueryHandler(empty, pattern=ShopEmpty.matches),
        CallbackQueryHandler(checkout, pattern=ShopCheckout.matches),
        CallbackQueryHandler(name_button, pattern=ShopTelegramName.matches),
        CallbackQueryHandler(ask_address, pattern=ShopAddress.matches),
        CallbackQueryHandler(collect, pattern=ShopCollect.matches),
        CallbackQueryHandler(place, pattern=ShopPlace.matches),
    ]
    flow = ConversationHandler(
        name="shop",
        persistent=True,
        allow_reentry=True,
        entry_points=[
            CommandHandler("start", open_party_shop, filters=filters.Regex(r"^/start p_[\w-]+$")),
            CommandHandler("start", open_personal_shop, filters=filters.Regex(r"^/start c_[\w-]+$")),
            CommandHandler(["code", "shop"], ask_code),
            *buttons,
        ],
        states={
            CODE: [MessageHandler(TEXT, typed_code)],
            BROWSE: [],
            QUANTITY: [MessageHandler(TEXT, type_quantity)],
            NAME: [MessageHandler(TEXT, name_text)],
            ADDRESS: [MessageHandler(TEXT, address_text)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [flow]
