"""What may happen to an order after it is logged: the customer's withdrawal (whole or some
units), a correction or a cancellation with a reason, each appended to the order's history;
and the reseller's view of it all.
"""

from __future__ import annotations

import json

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.boundary import reads_only
from bot.context import Context
from handlers.common import ack, answer, cancel, keyboard, say, seller_scope, tell
from models import DomainError, commissions, notifications, orders, users
from models.orders import Order, OrderEventKind, OrderStatus
from models.users import User
from views.callbacks import (
    CorrectLine,
    OrderBuyBack,
    OrderCancel,
    OrderCorrect,
    OrderHistory,
    OrderView,
    OrderWithdrawal,
    WithdrawAll,
    WithdrawLine,
)
from views.dates import format_when
from views.i18n import _
from views.receipts import receipt

WD_CHOOSE, WD_QUANTITY, FIX_CHOOSE, FIX_QUANTITY, FIX_REASON, CANCEL_REASON = (
    "wd_choose",
    "wd_quantity",
    "fix_choose",
    "fix_quantity",
    "fix_reason",
    "cancel_reason",
)
END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND


@reads_only
async def show_order(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=OrderView.of(update).order_id, reseller=me)
        lines = await orders.lines_of(session, order.id)
        rows = []
        if order.status == OrderStatus.CONFIRMED:
            if orders.has_withdrawal_right(order, lines) and context.clock.now() < order.withdrawal_ends_at:
                rows.append([(_("↩️ Withdrawal"), OrderWithdrawal(order.id))])
            if order.kind == orders.OrderKind.OWN_USE:
                rows.append([(_("↩️ Buy-back of unsold stock"), OrderBuyBack(order.id))])
            rows.append([(_("✏️ Correct"), OrderCorrect(order.id)), (_("🚫 Cancel order"), OrderCancel(order.id))])
        rows.append([(_("📜 History"), OrderHistory(order.id))])
        await answer(update, receipt(order, lines, me, reseller_name=me.display_name), keyboard(rows), edit=True)


@reads_only
async def show_history(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=OrderHistory.of(update).order_id, reseller=me)
        rows = []
        for event in await orders.history_of(session, order.id):
            actor = await users.get_user(session, event.actor_id)
            detail = json.loads(event.detail)
            changes = ", ".join(
                f"{ln['sku']} {ln['quantity']}" + (f" (−{ln['withdrawn']})" if ln["withdrawn"] else "")
                for ln in detail.get("after", detail.get("lines", []))
            )
            text = _("{when} · {who} · {what}").format(
                when=format_when(event.at, tz=me.timezone, lang=me.locale),
                who=actor.display_name,
                what=_event_name(event.kind),
            )
            if changes:
                text += ": " + changes
            if event.reason:
                text += " — " + _("reason: {reason}").format(reason=event.reason)
            rows.append(text)
        await answer(
            update,
            _("History of order no. {number}:").format(number=order.id) + "\n" + "\n".join(rows),
            keyboard([[(_("« Order"), OrderView(order.id))]]),
            edit=True,
        )


def _event_name(kind: OrderEventKind) -> str:
    return {
        OrderEventKind.CREATED: _("created"),
        OrderEventKind.WITHDRAWAL: _("withdrawal"),
        OrderEventKind.CORRECTION: _("correction"),
        OrderEventKind.CANCELLATION: _("cancellation"),
    }[kind]


async def _open_order_to_change(session, me: User, order_id: int) -> Order:
    """The reseller's own order, still standing, from the pressed button."""
    order = await orders.order_of_reseller(session, order_id=order_id, reseller=me)
    if order.status == OrderStatus.CANCELLED:
        raise DomainError("order_cancelled")
    return order


async def start_withdrawal(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        order = await _open_order_to_change(session, me, OrderWithdrawal.of(update).order_id)
        if not orders.withdrawal_open(order, context.clock.now()):
            raise DomainError("withdrawal_period_over", last_day=order.last_withdrawal_day)
        await ack(update)
        lines = [ln for ln in await orders.lines_of(session, order.id) if ln.kept_quantity]
        context.user_data["wd"] = {"order_id": order.id}
        rows = [[(_("The whole order"), WithdrawAll())]] + [
            [(_("Some of: {name}").format(name=ln.name_in(me.locale)), WithdrawLine(ln.id))] for ln in lines
        ]
        await say(update, _("What does the customer return?"), reply_markup=keyboard(rows))
        return WD_CHOOSE


async def withdraw_all(update: Update, context: Context) -> int:
    return await _withdraw(update, context, None)


async def withdraw_line(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        context.user_data["wd"]["line_id"] = WithdrawLine.of(update).line_id
        await say(update, _("How many are returned?"))
        return WD_QUANTITY


async def withdraw_quantity(update: Update, context: Context) -> int:
    quantity = orders.validate_quantity(update.message.text)
    return await _withdraw(update, context, {context.user_data["wd"]["line_id"]: quantity})


async def _withdraw(update: Update, context: Context, quantities: dict[int, int] | None) -> int:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=context.user_data["wd"]["order_id"], reseller=me)
        lines = await orders.withdraw(
            session, order=order, actor=me, quantities=quantities, reason=None, now=context.clock.now()
        )
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=context.clock.now())
        customer = await users.get_user(session, order.customer_user_id) if order.customer_user_id else None
        await tell(context, customer, "withdrawal_receipt", order_id=order.id)
    context.user_data.pop("wd", None)
    if update.callback_query:
        await ack(update)
    await say(
        update,
        _("Withdrawal recorded. It no longer counts as a sale.")
        + "\n\n"
        + receipt(order, lines, me, reseller_name=me.display_name),
    )
    return END


async def start_fix(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        order = await _open_order_to_change(session, me, OrderCorrect.of(update).order_id)
        await ack(update)
        context.user_data["fix"] = {"order_id": order.id}
        rows = [
            [(f"{ln.quantity} × {ln.name_in(me.locale)}", CorrectLine(ln.id))]
            for ln in await orders.lines_of(session, order.id)
        ]
        await say(update, _("Which line is wrong?"), reply_markup=keyboard(rows))
        return FIX_CHOOSE


async def fix_line(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        context.user_data["fix"]["line_id"] = CorrectLine.of(update).line_id
        await say(update, _("The right quantity? (0 removes the line)"))
        return FIX_QUANTITY


async def fix_quantity(update: Update, context: Context) -> str:
    text = update.message.text.strip()
    quantity = 0 if text == "0" else orders.validate_quantity(text)
    async with seller_scope(update, context):
        context.user_data["fix"]["quantity"] = quantity
        await say(update, _("Why? (kept in the order's history)"))
        return FIX_REASON


async def fix_reason(update: Update, context: Context) -> int:
    draft = context.user_data["fix"]
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=draft["order_id"], reseller=me)
        lines = await orders.correct_line(
            session,
            order=order,
            actor=me,
            line_id=draft["line_id"],
            quantity=draft["quantity"],
            reason=update.message.text,
            now=context.clock.now(),
        )
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=context.clock.now())
    context.user_data.pop("fix", None)
    await say(update, _("Corrected.") + "\n\n" + receipt(order, lines, me, reseller_name=me.display_name))
    return END


async def start_cancel(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        order = await _open_order_to_change(session, me, OrderCancel.of(update).order_id)
        await ack(update)
        context.user_data["oc"] = {"order_id": order.id}
        await say(update, _("Why is the order cancelled? (kept in the order's history; /cancel keeps the order)"))
        return CANCEL_REASON


async def cancel_reason(update: Update, context: Context) -> int:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=context.user_data["oc"]["order_id"], reseller=me)
        await orders.cancel_order(session, order=order, actor=me, reason=update.message.text, now=context.clock.now())
        await notifications.cancel_aftercare(session, order_id=order.id)
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=context.clock.now())
    context.user_data.pop("oc", None)
    await say(update, _("Order no. {number} cancelled. It no longer counts as a sale.").format(number=order.id))
    return END


def handlers() -> list:
    fallbacks = [CommandHandler("cancel", cancel)]
    withdrawal = ConversationHandler(
        name="withdrawal",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_withdrawal, pattern=OrderWithdrawal.matches)],
        states={
            WD_CHOOSE: [
                CallbackQueryHandler(withdraw_all, pattern=WithdrawAll.matches),
                CallbackQueryHandler(withdraw_line, pattern=WithdrawLine.matches),
            ],
            WD_QUANTITY: [MessageHandler(TEXT, withdraw_quantity)],
        },
        fallbacks=fallbacks,
    )
    correction = ConversationHandler(
        name="correction",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_fix, pattern=OrderCorrect.matches)],
        states={
            FIX_CHOOSE: [CallbackQueryHandler(fix_line, pattern=CorrectLine.matches)],
            FIX_QUANTITY: [MessageHandler(TEXT, fix_quantity)],
            FIX_REASON: [MessageHandler(TEXT, fix_reason)],
        },
        fallbacks=fallbacks,
    )
    cancellation = ConversationHandler(
        name="order_cancel",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_cancel, pattern=OrderCancel.matches)],
        states={CANCEL_REASON: [MessageHandler(TEXT, cancel_reason)]},
        fallbacks=fallbacks,
    )
    return [
        withdrawal,
        correction,
        cancellation,
        CallbackQueryHandler(show_order, pattern=OrderView.matches),
        CallbackQueryHandler(show_history, pattern=OrderHistory.matches),
    ]
