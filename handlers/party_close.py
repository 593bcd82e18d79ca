"""The party's last day for orders, chosen by the advisor from the demo's page while the party
is open. Every press re-checks that the demo is the advisor's own (button data can be forged)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.boundary import reads_only
from bot.context import Context
from handlers.common import answer, keyboard, replan, seller_scope
from models import demos, party_close
from views.callbacks import DemoView, PartyCloseDay, PartyCloseView
from views.i18n import _
from views.party_close import close_page, close_saved, party_closed_text


@reads_only
async def show_close(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=PartyCloseView.of(update).demo_id, reseller=me)
        now = context.clock.now()
        if not party_close.party_open_for_orders(demo, now):
            back = keyboard([[(_("« Demo"), DemoView(demo.id))]])
            await answer(update, party_closed_text(demo, me), back, edit=True)
            return
        text, markup = close_page(demo, me, now)
        await answer(update, text, markup, edit=True)


async def save_close_day(update: Update, context: Context) -> None:
    pressed = PartyCloseDay.of(update)
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=pressed.demo_id, reseller=me)
        await party_close.set_close_day(session, demo=demo, day=pressed.day, now=context.clock.now())
        await replan(session, context, demo)  # the host's reminder moves with the close
        await answer(update, close_saved(demo, me), keyboard([[(_("« Demo"), DemoView(demo.id))]]), edit=True)


def handlers() -> list:
    return [
        CallbackQueryHandler(show_close, pattern=PartyCloseView.matches),
        CallbackQueryHandler(save_close_day, pattern=PartyCloseDay.matches),
    ]
