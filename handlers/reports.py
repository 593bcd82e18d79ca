"""Quick views for the reseller: /catalog, /orders, /sales, /export; and the host reward of a
party, for the reseller and for the host."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.boundary import reads_only
from bot.context import Context
from bot.db import long_statements
from bot.offload import off_loop
from handlers.common import answer, keyboard, say, seller_scope, send_file, user_scope
from models import DomainError, catalog, demos, orders, party_rewards
from views.callbacks import CatalogPage, DemoRewardView, DemoView, HostRewardView, OrderView
from views.catalog import CATALOG_PAGE, catalog_page
from views.dates import format_when, period_starts
from views.i18n import _, ngettext
from views.money import money_for
from views.outgoing import Document
from views.paging import locate, window
from views.party_close import standing_text
from views.reports import orders_csv


@reads_only
async def show_catalog(update: Update, context: Context) -> None:
    """/catalog shows the first page as a new message; its buttons turn the page in place."""
    async with seller_scope(update, context) as (session, me):
        total = await catalog.count_active_products(session)
        if not total:
            await answer(
                update, _("The catalog is empty. An admin imports it with: python -m bot catalog import FILE.csv")
            )
            return
        number, offset = locate(
            CatalogPage.of(update).page if update.callback_query else 0, total=total, size=CATALOG_PAGE
        )
        products = await catalog.active_products(session, lang=me.locale, offset=offset, limit=CATALOG_PAGE)
        text, markup = catalog_page(window(products, number=number, total=total, size=CATALOG_PAGE), me)
        await answer(update, text, markup, edit=update.callback_query is not None)


@reads_only
async def list_orders(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        found = await orders.recent_orders(session, reseller_id=me.id, limit=10)
        if not found:
            await say(update, _("No orders yet. Log one with /order."))
            return
        rows = []
        for order in found:
            lines = await orders.lines_of(session, order.id)
            who = order.customer_name or _("own use")
            amount = money_for(orders.net(order, lines), order.currency, me)
            mark = " 🚫" if order.status == orders.OrderStatus.CANCELLED else ""
            rows.append([(f"#{order.id} · {who} · {amount}{mark}", OrderView(order.id))])
        await say(update, _("Your latest orders (amounts net of withdrawals):"), reply_markup=keyboard(rows))


@reads_only
async def show_sales(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        currency = context.settings.currency
        money = lambda minor: money_for(minor, currency, me)  # noqa: E731
        labels = {"today": _("Today"), "week": _("This week"), "month": _("This month")}
        parts = []
        periods = period_starts(context.clock.now(), me.timezone)
        found = await orders.sales_in_periods(session, reseller_id=me.id, periods=periods, currency=currency)
        for key, figures in found.items():
            parts.append(
                ngettext(
                    "{period}: sales {retail} ({orders} order) · own use {own}",
                    "{period}: sales {retail} ({orders} orders) · own use {own}",
                    figures.retail_orders,
                ).format(
                    period=labels[key],
                    retail=money(figures.retail_minor),
                    orders=figures.retail_orders,
                    own=money(figures.own_use_minor),
                )
            )
        await say(update, "\n".join(parts) + "\n\n" + _("Withdrawn and cancelled amounts are not counted."))


@reads_only
async def export_orders(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        with long_statements():  # every order the seller ever took
            found = await orders.all_orders(session, reseller_id=me.id)
        data = await off_loop(orders_csv, found, me)
        await send_file(update, Document(data, "homedemo-orders.csv", _("Your orders.")))


@reads_only
async def reseller_reward(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoRewardView.of(update).demo_id, reseller=me)
        table = context.settings.reward_table
        standing = await party_rewards.party_standing(session, table=table, demo=demo, now=context.clock.now())
        await answer(
            update,
            _("Host reward for the demo at {host}'s:").format(host=demo.host_name)
            + "\n"
            + standing_text(standing, table.currency, me),
            keyboard([[(_("« Demo"), DemoView(demo.id))]]),
            edit=True,
        )


@reads_only
async def host_reward(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("demo_not_found")
        demo = await demos.demo_of_host(session, demo_id=HostRewardView.of(update).demo_id, host=me)
        table = context.settings.reward_table
        standing = await party_rewards.party_standing(session, table=table, demo=demo, now=context.clock.now())
        await answer(
            update,
            _("Your host reward for the demo on {when}:").format(
                when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale)
            )
            + "\n"
            + standing_text(standing, table.currency, me),
        )


def handlers() -> list:
    return [
        CommandHandler("catalog", show_catalog),
        CallbackQueryHandler(show_catalog, pattern=CatalogPage.matches),
        CommandHandler("orders", list_orders),
        CommandHandler("sales", show_sales),
        CommandHandler("export", export_orders),
        CallbackQueryHandler(reseller_reward, pattern=DemoRewardView.matches),
        CallbackQueryHandler(host_reward, pattern=HostRewardView.matches),
    ]
