"""Telegram Payments, when PAYMENT_PROVIDER_TOKEN is set: an accepted online order comes with an
invoice (views.notifications.shop_answer); Telegram asks before charging (pre_checkout_query),
then says it was paid (successful_payment). https://core.telegram.org/bots/payments"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, PreCheckoutQueryHandler, filters

from bot.context import Context
from handlers.common import answer_pre_checkout, say, tell, user_scope
from models import DomainError, orders, shop, users
from views.errors import error_text
from views.i18n import _


def _order_id(payload: str) -> int:
    kind, _sep, number = payload.partition(":")
    return int(number) if kind == "order" and number.isdigit() and len(number) < 10 else 0


async def pre_checkout(update: Update, context: Context) -> None:
    """Answered, never raised: an unanswered pre-checkout leaves the customer's payment hanging."""
    query = update.pre_checkout_query
    async with user_scope(update, context) as (session, me):
        try:
            order = await shop.payable_order(session, order_id=_order_id(query.invoice_payload), customer=me)
            lines = await orders.lines_of(session, order.id)
            if query.currency != order.currency or query.total_amount != shop.payable_amount(order, lines):
                raise DomainError("order_not_payable")
        except DomainError as error:
            await answer_pre_checkout(update, error_text(error))
            return
        await answer_pre_checkout(update)


async def paid(update: Update, context: Context) -> None:
    payment = update.message.successful_payment
    async with user_scope(update, context) as (session, me):
        order = await session.get(orders.Order, _order_id(payment.invoice_payload))
        if order is None or me is None or order.customer_user_id != me.id:
            raise DomainError("order_not_found")
        await shop.mark_paid(
            session,
            order=order,
            charge_id=payment.telegram_payment_charge_id,
            amount_minor=payment.total_amount,
            now=context.clock.now(),
        )
        await tell(context, await users.get_user(session, order.reseller_id), "order_paid", order_id=order.id)
        await say(
            update, _("Thank you, your payment for order no. {number} has been received.").format(number=order.id)
        )


def handlers() -> list:
    return [PreCheckoutQueryHandler(pre_checkout), MessageHandler(filters.SUCCESSFUL_PAYMENT, paid)]
