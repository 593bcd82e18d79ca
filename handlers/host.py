"""The host: opens the link from the reseller, then confirms, declines or proposes a time.

```mermaid
stateDiagram-v2
    [*] --> hp_date: Propose another time
    hp_date --> hp_time
    hp_date --> hp_confirm: a day and a time typed at once
    hp_time --> hp_clarify: clocks go back that night
    hp_time --> hp_confirm: the full date shown back
    hp_clarify --> hp_confirm
    hp_confirm --> hp_date: Change day
    hp_confirm --> [*]: Send (proposal sent to the reseller)
```
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.context import Context
from handlers.attendees import guest_link
from handlers.common import ack, answer, cancel, keyboard, replan, say, sender_locale, tell, user_scope
from handlers.demos import send_own_calendar
from handlers.when import WhenSteps
from models import DomainError, demos, users
from models.demos import DemoStatus
from models.users import User
from views.callbacks import (
    HostConfirm,
    HostDecline,
    HostGuests,
    HostProposalSend,
    HostPropose,
    HostRewardView,
    WhenChangeDay,
)
from views.dates import format_when
from views.demos import host_keyboard, host_view
from views.i18n import _

END = ConversationHandler.END
PROPOSAL_CONFIRM = "hp_confirm"


async def open_host_link(update: Update, context: Context, token: str) -> int:
    async with user_scope(update, context) as (session, me):
        sender = update.effective_user
        if me is None:
            me = await users.get_or_create_user(
                session,
                telegram_id=sender.id,
                name=sender.full_name,
                locale=sender_locale(update, context),
                timezone=context.settings.default_timezone,
                now=context.clock.now(),
            )
            is_new = True
        else:
            is_new = False
        demo = await demos.claim_host_link(session, token=token, user=me)
        await replan(session, context, demo)
        if is_new:
            me.timezone = demo.timezone  # the host lives where the demo happens
        reseller = await users.get_user(session, demo.reseller_id)
        text = (
            _("Hello {name}!").format(name=me.display_name)
            + "\n\n"
            + host_view(demo, reseller_name=reseller.display_name, tz=me.timezone, lang=me.locale)
        )
        markup = host_keyboard(demo) if demo.is_open and demo.starts_at > context.clock.now() else None
        await say(update, text, reply_markup=markup)
    return END


async def _host_demo(session, host: User | None, demo_id: int):
    if host is None:
        raise DomainError("demo_not_found")
    return await demos.demo_of_host(session, demo_id=demo_id, host=host)


async def confirm(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        demo = await _host_demo(session, me, HostConfirm.of(update).demo_id)
        await demos.confirm_by_host(session, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        reseller = await users.get_user(session, demo.reseller_id)
        await tell(context, reseller, "host_confirmed", demo_id=demo.id, seq=demo.ics_sequence, calendar=True)
        await answer(
            update,
            _("Thank you, the demo is confirmed! {reseller} will see you on {when}.").format(
                reseller=reseller.display_name, when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale)
            ),
            edit=True,
        )
        await say(
            update,
            _(
                "Invite your friends with this link: they sign up in two taps, and you can follow the "
                "guest list here.\n{link}"
            ).format(link=guest_link(context, demo)),
            reply_markup=keyboard(
                [[(_("👥 Guest list"), HostGuests(demo.id)), (_("🎁 Host reward"), HostRewardView(demo.id))]]
            ),
        )
        await send_own_calendar(update, context, demo, me, reseller_name=reseller.display_name)


async def decline(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        demo = await _host_demo(session, me, HostDecline.of(update).demo_id)
        await demos.decline_by_host(session, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        reseller = await users.get_user(session, demo.reseller_id)
        await tell(context, reseller, "host_declined", demo_id=demo.id, seq=demo.ics_sequence)
        await answer(
            update,
            _("You declined the demo. {reseller} has been told. Thank you for answering!").format(
                reseller=reseller.display_name
            ),
            edit=True,
        )


async def start_proposal(update: Update, context: Context) -> str:
    async with user_scope(update, context) as (session, me):
        demo = await _host_demo(session, me, HostPropose.of(update).demo_id)
        if demo.status == DemoStatus.CANCELLED:
            raise DomainError("demo_cancelled")
        if demo.starts_at <= context.clock.now():
            raise DomainError("demo_started")
        await ack(update)
        context.user_data[when.prefix] = {"demo_id": demo.id}
        return await when.ask_date(update, context, me, _("Which day would suit you better?"))


async def proposal_chosen(update: Update, context: Context, me: User, starts_at: datetime) -> str:
    """The time the host typed, shown back in full before it goes to the advisor."""
    draft = context.user_data[when.prefix]
    async with user_scope(update, context) as (session, me):
        demo = await _host_demo(session, me, draft["demo_id"])
        reseller = await users.get_user(session, demo.reseller_id)
        draft["starts_at"] = starts_at.isoformat()
        await say(
            update,
            _("Propose this time?\n📅 {when}\n{reseller} will be asked to accept it.").format(
                when=format_when(starts_at, tz=me.timezone, lang=me.locale), reseller=reseller.display_name
            ),
            reply_markup=keyboard(
                [[(_("✅ Send"), HostProposalSend(demo.id)), (_("« Change day"), WhenChangeDay(when.prefix))]]
            ),
        )
    return PROPOSAL_CONFIRM


async def send_proposal(update: Update, context: Context) -> int:
    draft = context.user_data.get(when.prefix) or {}
    async with user_scope(update, context) as (session, me):
        if "starts_at" not in draft or draft.get("demo_id") != HostProposalSend.of(update).demo_id:
            raise DomainError("stale_button")
        demo = await _host_demo(session, me, draft["demo_id"])
        starts_at = datetime.fromisoformat(draft["starts_at"])
        await demos.propose_time(session, demo=demo, starts_at=starts_at, now=context.clock.now())
        reseller = await users.get_user(session, demo.reseller_id)
        await tell(context, reseller, "host_proposed", demo_id=demo.id, proposed=starts_at.isoformat())
        context.user_data.pop(when.prefix, None)
        await answer(
            update,
            _("Thank you! I have asked {reseller} whether {when} works.").format(
                reseller=reseller.display_name, when=format_when(starts_at, tz=me.timezone, lang=me.locale)
            ),
            edit=True,
        )
    return END


when = WhenSteps("hp", proposal_chosen)


def handlers() -> list:
    proposal = ConversationHandler(
        name="proposal",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_proposal, pattern=HostPropose.matches)],
        states={
            **when.states(),
            PROPOSAL_CONFIRM: [
                CallbackQueryHandler(send_proposal, pattern=HostProposalSend.matches),
                CallbackQueryHandler(when.back_to_day, pattern=when.ours(WhenChangeDay)),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        proposal,
        CallbackQueryHandler(confirm, pattern=HostConfirm.matches),
        CallbackQueryHandler(decline, pattern=HostDecline.matches),
    ]
