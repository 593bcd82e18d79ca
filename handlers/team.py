"""/team, /commissions, /compliance and the admin's monthly statement; team changes by admins;
buy-back of a reseller's unsold stock.

A reseller sees only their own figures and those of their downline; every button carrying a
person's id is checked against that.
"""

from __future__ import annotations

import re
from dataclasses import replace

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.boundary import reads_only
from bot.context import Context
from bot.db import long_statements
from bot.offload import off_loop
from handlers import shop_answers
from handlers.common import ack, answer, cancel, keyboard, say, seller_scope, send_file, tell
from models import DomainError, careers, commissions, compliance, orders, team
from models.money import parse_amount
from models.users import Role
from views.callbacks import (
    BuyBackLine,
    BuyBackRefund,
    OrderBuyBack,
    TeamDeactivate,
    TeamDeactivateConfirmed,
    TeamFind,
    TeamMember,
    TeamPage,
    TeamPromote,
)
from views.careers import ladder_flag_text, title_label, title_text
from views.dates import period_starts
from views.i18n import _, ngettext
from views.money import format_rate, money_for
from views.outgoing import Document
from views.paging import Page, page_of
from views.payloads import clip_utf8
from views.reports import flag_text, statement_csv
from views.team import TEAM_PAGE, MemberRow, found_page, nobody_found, team_page

SEARCH_BYTES = 30  # what a TeamFind button carries of the words
BUY_BACK_LINE, BUY_BACK_QUANTITY, BUY_BACK_REFUND = "bb_line", "bb_quantity", "bb_refund"
END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND


async def career_standings(session, context: Context, user_ids: list[int]) -> dict[int, careers.Standing]:
    """Titles from sales only (models.careers), for the people shown; empty without a ladder."""
    plan = context.settings.plan
    if plan.careers is None:
        return {}
    return await careers.standings(
        session,
        ladder=plan.careers,
        user_ids=user_ids,
        now=context.clock.now(),
        tz=plan.company_timezone,
        currency=plan.currency,
    )


@reads_only
async def show_team(update: Update, context: Context) -> None:
    if context.args:  # /team anna: the members whose name contains the words
        words = clip_utf8(" ".join(context.args), SEARCH_BYTES).strip()
        return await _show_found(update, context, words, 0)
    page = TeamPage.of(update).page if update.callback_query else 0
    async with seller_scope(update, context) as (session, me):
        members = await team.outline(session, root=me)
        if not members:
            await answer(update, _("Nobody in your team yet. Invite someone with /invite."))
            return
        rows = await _with_figures(session, context, me, page_of(members, page, TEAM_PAGE))
        text, markup = team_page(rows, me, context.settings.currency)
        mine = (await career_standings(session, context, [me.id])).get(me.id)
        if mine is not None:
            text += "\n\n" + title_text(mine, me, context.settings.plan.currency)
        await answer(update, text, markup, edit=update.callback_query is not None)


@reads_only
async def find_members(update: Update, context: Context) -> None:
    pressed = TeamFind.of(update)
    await _show_found(update, context, pressed.words, pressed.page)


async def _show_found(update: Update, context: Context, words: str, page: int) -> None:
    async with seller_scope(update, context) as (session, me):
        found = team.matching(await team.outline(session, root=me), words)
        if not found:
            await answer(update, nobody_found(words), edit=update.callback_query is not None)
            return
        rows = await _with_figures(session, context, me, page_of(found, page, TEAM_PAGE))
        text, markup = found_page(rows, words, me, context.settings.currency)
        await answer(update, text, markup, edit=update.callback_query is not None)


async def _with_figures(session, context: Context, me, page: Page[team.Branch]) -> Page[MemberRow]:
    """The page's members with this week's sales, their last and next demo and their title: one
    statement for the page, and one for the titles."""
    now = context.clock.now()
    week = period_starts(now, me.timezone)["week"]
    ids = [branch.user_id for branch in page.items]
    found = await team.with_week_sales(
        session, ids=ids, start=week[0], end=week[1], currency=context.settings.currency, now=now
    )
    titles = await career_standings(session, context, ids)
    rows = []
    for b in page.items:
        shown, sales, last, upcoming = found[b.user_id]
        rows.append(
            MemberRow(shown, b.depth, sales, last, next_demo_at=upcoming, title=title_label(titles.get(b.user_id), me))
        )
    return replace(page, items=rows)


@reads_only
async def show_member(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        member = await team.in_team_of(session, viewer=me, member_id=TeamMember.of(update).user_id)
        currency = context.settings.currency
        now = context.clock.now()
        month = period_starts(now, me.timezone)["month"]
        sales = await orders.sales_between(
            session, reseller_id=member.id, start=month[0], end=month[1], currency=currency
        )
        text = ngettext(
            "{name}\nThis month: sales {retail} ({orders} order), own use {own}",
            "{name}\nThis month: sales {retail} ({orders} orders), own use {own}",
            sales.retail_orders,
        ).format(
            name=member.display_name,
            retail=money_for(sales.retail_minor, currency, me),
            orders=sales.retail_orders,
            own=money_for(sales.own_use_minor, currency, me),
        )
        standing = (await career_standings(session, context, [member.id])).get(member.id)
        if standing is not None:
            text += "\n" + title_text(standing, me, context.settings.plan.currency)
        rows = []
        if me.is_admin and member.is_seller and member.id != me.id:
            if member.role == Role.RESELLER:
                rows.append([(_("⭐ Promote to manager"), TeamPromote(member.id))])
            rows.append([(_("⛔ Deactivate"), TeamDeactivate(member.id))])
        await answer(update, text, keyboard(rows) if rows else None, edit=True)


async def promote(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        member = await team.in_team_of(session, viewer=me, member_id=TeamPromote.of(update).user_id)
        await team.promote_to_manager(session, actor=me, member=member)
        await tell(context, member, "menu", user_id=member.id)  # their menu gains the manager's commands
        await answer(
            update,
            _("{name} is now a manager: they get the weekly team digest.").format(name=member.display_name),
            edit=True,
        )


@reads_only
async def ask_deactivate(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        member = await team.in_team_of(session, viewer=me, member_id=TeamDeactivate.of(update).user_id)
        if not me.is_admin:
            raise DomainError("admins_only")
        await answer(
            update,
            _(
                "Deactivate {name}? Their history is kept, their access is removed and their team moves up "
                "to their upline."
            ).format(name=member.display_name),
            keyboard([[(_("Yes, deactivate"), TeamDeactivateConfirmed(member.id))]]),
            edit=True,
        )


async def deactivate(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        member = await team.in_team_of(session, viewer=me, member_id=TeamDeactivateConfirmed.of(update).user_id)
        moved = await team.deactivate(session, actor=me, member=member, now=context.clock.now())
        await tell(context, member, "menu", user_id=member.id)  # back to the basic menu
        await answer(
            update,
            ngettext(
                "{name}: access removed. {count} person moved up to their upline.",
                "{name}: access removed. {count} people moved up to their upline.",
                moved,
            ).format(name=member.display_name, count=moved),
            edit=True,
        )


@reads_only
async def show_commissions(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        plan = context.settings.plan
        current = commissions.period_of(context.clock.now(), plan.company_timezone)
        found = await commissions.statements(session, earner_id=me.id, plan=plan, limit=4)
        lines = [_("Commissions are paid on sales only: yours and your team's, never on sign-ups.")]
        if not any(s.period == current for s in found):
            lines.append(
                _("{period} (running): gross {gross}").format(period=current, gross=money_for(0, plan.currency, me))
            )
        for s in found:
            label = _("{period} (running)").format(period=s.period) if s.period == current else s.period
            lines.append(
                _("{label}: gross {gross} · withholding {withheld} · net {net}").format(
                    label=label,
                    gross=money_for(s.gross_minor, plan.currency, me),
                    withheld=money_for(s.withheld_minor, plan.currency, me),
                    net=money_for(s.net_minor, plan.currency, me),
                )
            )
        mine = (await career_standings(session, context, [me.id])).get(me.id)
        if mine is not None:
            lines.append(title_text(mine, me, plan.currency))
        await say(update, "\n".join(lines))


@reads_only
async def monthly_statement(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        if not me.is_admin:
            raise DomainError("admins_only")
        plan = context.settings.plan
        period = (context.args[0] if context.args else "").strip()
        if not re.fullmatch(r"\d{4}-\d{2}", period):
            raise DomainError("period_unreadable")
        with long_statements():  # the whole company's month
            lines, totals = await commissions.period_statement(session, period=period)
            by_source = await shop_answers.statement_by_source(session, period=period, plan=plan)
        data = await off_loop(statement_csv, lines, totals, plan=plan, period=period, by_source=by_source)
        await send_file(
            update,
            Document(data, f"commissions-{period}.csv", _("Commission statement for {period}.").format(period=period)),
        )


@reads_only
async def show_compliance(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        if not me.is_manager:
            raise DomainError("admins_only")
        flags = await compliance.check_team(session, manager=me, plan=context.settings.plan, now=context.clock.now())
        ladder = context.settings.plan.careers
        plan_flags = [ladder_flag_text(flag, me) for flag in ladder.flags] if ladder else []
        if plan_flags:
            await say(update, "\n".join([_("The commission plan itself:"), *plan_flags]))
        if not flags:
            await say(update, _("No warning signs in your team: sales come from customers."))
            return
        # Not paged: the flags are worked out person by person, so a page button would redo the
        # whole check on every press, and the report is read top to bottom once. A long one goes
        # as several messages (bot.replies splits at line breaks; a flag line is short, so none
        # is ever cut in two).
        await say(
            update,
            "\n".join(
                [_("Warning signs in your team:")] + [flag_text(f, me, context.settings.plan.currency) for f in flags]
            ),
        )


async def start_buy_back(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=OrderBuyBack.of(update).order_id, reseller=me)
        if order.kind != orders.OrderKind.OWN_USE or order.status != orders.OrderStatus.CONFIRMED:
            raise DomainError("buy_back_own_use_only")
        await ack(update)
        context.user_data["bb"] = {"order_id": order.id}
        rows = [
            [(f"{ln.kept_quantity} × {ln.name_in(me.locale)}", BuyBackLine(ln.id))]
            for ln in await orders.lines_of(session, order.id)
            if ln.kept_quantity
        ]
        await say(update, _("Which unsold product do you return?"), reply_markup=keyboard(rows))
        return BUY_BACK_LINE


async def buy_back_line(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        context.user_data["bb"]["line_id"] = BuyBackLine.of(update).line_id
        await say(update, _("How many?"))
        return BUY_BACK_QUANTITY


async def buy_back_quantity(update: Update, context: Context) -> str:
    quantity = orders.validate_quantity(update.message.text)
    async with seller_scope(update, context) as (session, me):
        draft = context.user_data["bb"]
        order = await orders.order_of_reseller(session, order_id=draft["order_id"], reseller=me)
        line = next((ln for ln in await orders.lines_of(session, order.id) if ln.id == draft["line_id"]), None)
        if line is None or quantity > line.kept_quantity:
            raise DomainError(
                "withdrawal_too_many", name=line.name if line else "?", kept=line.kept_quantity if line else 0
            )
        draft["quantity"] = quantity
        minimum = compliance.minimum_refund(line.unit_price_minor * quantity, context.settings.plan)
        await say(
            update,
            _("Refund to record? At least {minimum}, that is {share} of the price paid.").format(
                minimum=money_for(minimum, order.currency, me),
                share=format_rate(
                    context.settings.plan.thresholds.buy_back_min_refund_bp, lang=me.locale, tz=me.timezone
                ),
            ),
            reply_markup=keyboard([[(money_for(minimum, order.currency, me), BuyBackRefund(minimum))]]),
        )
        return BUY_BACK_REFUND


async def buy_back_refund_text(update: Update, context: Context) -> int:
    return await _record_buy_back(update, context, parse_amount(update.message.text, context.settings.plan.currency))


async def buy_back_refund_button(update: Update, context: Context) -> int:
    await ack(update)
    return await _record_buy_back(update, context, BuyBackRefund.of(update).refund_minor)


async def _record_buy_back(update: Update, context: Context, refund: int) -> int:
    draft = context.user_data["bb"]
    async with seller_scope(update, context) as (session, me):
        order = await orders.order_of_reseller(session, order_id=draft["order_id"], reseller=me)
        record = await compliance.record_buy_back(
            session,
            order=order,
            actor=me,
            quantities={draft["line_id"]: draft["quantity"]},
            refund_minor=refund,
            plan=context.settings.plan,
            now=context.clock.now(),
        )
        await commissions.post_order(session, order=order, plan=context.settings.plan, now=context.clock.now())
    context.user_data.pop("bb", None)
    await say(
        update,
        _("Buy-back recorded: {paid} paid, {refund} refunded.").format(
            paid=money_for(record.paid_minor, order.currency, me),
            refund=money_for(record.refund_minor, order.currency, me),
        ),
    )
    return END


def handlers() -> list:
    buy_back = ConversationHandler(
        name="buy_back",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_buy_back, pattern=OrderBuyBack.matches)],
        states={
            BUY_BACK_LINE: [CallbackQueryHandler(buy_back_line, pattern=BuyBackLine.matches)],
            BUY_BACK_QUANTITY: [MessageHandler(TEXT, buy_back_quantity)],
            BUY_BACK_REFUND: [
                CallbackQueryHandler(buy_back_refund_button, pattern=BuyBackRefund.matches),
                MessageHandler(TEXT, buy_back_refund_text),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        buy_back,
        CommandHandler("team", show_team),
        CallbackQueryHandler(show_team, pattern=TeamPage.matches),
        CallbackQueryHandler(find_members, pattern=TeamFind.matches),
        CallbackQueryHandler(show_member, pattern=TeamMember.matches),
        CallbackQueryHandler(promote, pattern=TeamPromote.matches),
        CallbackQueryHandler(ask_deactivate, pattern=TeamDeactivate.matches),
        CallbackQueryHandler(deactivate, pattern=TeamDeactivateConfirmed.matches),
        CommandHandler("commissions", show_commissions),
        CommandHandler("statement", monthly_statement),
        CommandHandler("compliance", show_compliance),
    ]
