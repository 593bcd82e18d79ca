"""The advisor's answer to an online order (handlers.shop): accept, change the quantities first,
or refuse; the customer hears it through the outbox. Then "delivered", which starts a distance
contract's withdrawal period; and the monthly statement's sales by source."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from handlers.common import ack, answer, keyboard, say, seller_scope, tell
from models import commissions, notifications, orders, shop, users
from models.demos import Demo
from models.digests import local_midnight
from models.money import to_decimal
from models.shop import OrderRequest
from models.users import User
from views.callbacks import OrderDelivered, OrderView, RequestAccept, RequestChange, RequestRefuse, RequestStep
from views.i18n import _, ngettext
from views.receipts import receipt
from views.reports import safe_cell
from views.shop import request_for_advisor, source_label


async def accept(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        request = await shop.placed_request(session, request_id=RequestAccept.of(update).request_id, reseller=me)
        now = context.clock.now()
        order = await shop.accept(
            session, request=request, reseller=me, policy=context.settings.withdrawal_policy, now=now
        )
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=now)
        await notifications.plan_aftercare(
            session,
            order_id=order.id,
            reseller_id=me.id,
            ordered_at=order.created_at,
            plan=context.settings.reminder_plan,
            now=now,
        )
        await tell(
            context, await users.get_user(session, request.customer_user_id), "shop_answer", request_id=request.id
        )
        await answer(update, _("Accepted. Here is the order:"), edit=True)
        await say(
            update,
            receipt(order, await orders.lines_of(session, order.id), me, reseller_name=me.display_name),
            reply_markup=_order_keyboard(order),
        )


def _order_keyboard(order: orders.Order):
    return keyboard(
        [[(_("📦 Mark as delivered"), OrderDelivered(order.id)), (_("Open the order"), OrderView(order.id))]]
    )


async def change(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        request = await shop.placed_request(session, request_id=RequestChange.of(update).request_id, reseller=me)
        await _show_request(update, session, me, request)


async def step(update: Update, context: Context) -> None:
    pressed = RequestStep.of(update)
    async with seller_scope(update, context) as (session, me):
        request = await shop.placed_request(session, request_id=pressed.request_id, reseller=me)
        await shop.change_line(
            session, request=request, line_id=pressed.line_id, delta=pressed.delta, now=context.clock.now()
        )
        await _show_request(update, session, me, request)


async def _show_request(update: Update, session, me: User, request: OrderRequest) -> None:
    demo = await session.get(Demo, request.demo_id) if request.demo_id else None
    text, markup = request_for_advisor(request, await shop.lines_of(session, request.id), me, demo=demo, editing=True)
    await answer(update, text, markup, edit=True)


async def refuse(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        request = await shop.placed_request(session, request_id=RequestRefuse.of(update).request_id, reseller=me)
        await shop.refuse(session, request=request, now=context.clock.now())
        await tell(
            context, await users.get_user(session, request.customer_user_id), "shop_answer", request_id=request.id
        )
        await answer(update, _("Refused. {name} has been told.").format(name=request.customer_name), edit=True)


async def delivered(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=OrderDelivered.of(update).order_id, reseller=me)
        await shop.mark_delivered(session, order=order, now=context.clock.now())
        customer = await users.get_user(session, order.customer_user_id) if order.customer_user_id else None
        await tell(context, customer, "order_delivered", order_id=order.id)
        await ack(update)
        await say(
            update,
            ngettext(
                "Marked as delivered: the customer's {days} day to withdraw starts today.",
                "Marked as delivered: the customer's {days} days to withdraw start today.",
                order.withdrawal_days,
            ).format(days=order.withdrawal_days),
        )


async def statement_by_source(session, *, period: str, plan) -> list[list]:
    """The month's retail sales of each advisor by source (demo, party link, personal link or
    code), as rows of the statement: one grouped query (models.shop.sales_by_source)."""
    tz = plan.company_timezone
    first = date.fromisoformat(f"{period}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    amounts = await shop.sales_by_source(
        session,
        reseller_ids=None,
        start=local_midnight(first, tz),
        end=local_midnight(following, tz),
        currency=plan.currency,
    )
    names = await users.names_of(session, {rid for rid, _s in amounts})
    rows: list[list] = [[_("advisor"), _("source"), _("sales"), _("currency")]]
    for (reseller_id, source), amount in sorted(amounts.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1])):
        rows.append(
            [
                safe_cell(names.get(reseller_id, "")),
                source_label(source),
                to_decimal(amount, plan.currency),
                plan.currency,
            ]
        )
    return rows


def handlers() -> list:
    return [
        CallbackQueryHandler(accept, pattern=RequestAccept.matches),
        CallbackQueryHandler(change, pattern=RequestChange.matches),
        CallbackQueryHandler(step, pattern=RequestStep.matches),
        CallbackQueryHandler(refuse, pattern=RequestRefuse.matches),
        CallbackQueryHandler(delivered, pattern=OrderDelivered.matches),
    ]
