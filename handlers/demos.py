"""/demos: the reseller's upcoming demos, with details, host link, calendar, reschedule, cancel,
and the answer to a host's proposal of another time.

```mermaid
stateDiagram-v2
    [*] --> mv_date: Reschedule button
    mv_date --> mv_time
    mv_time --> mv_clarify: clocks go back that night
    mv_time --> MOVE_CONFIRM
    mv_clarify --> MOVE_CONFIRM
    MOVE_CONFIRM --> [*]: Confirm (host asked to confirm again)
```
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_skeleton, format_time
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, filters

from bot.boundary import reads_only
from bot.context import Context
from handlers.common import ack, answer, cancel, keyboard, replan, say, seller_scope, send_file, tell
from handlers.when import WhenSteps
from models import DomainError, demos, users
from models.demos import Demo, DemoStatus
from models.users import User
from views import links
from views.callbacks import (
    DemoAcceptProposal,
    DemoBookFromParty,
    DemoCalendar,
    DemoCancel,
    DemoCancelConfirmed,
    DemoGuestErasure,
    DemoGuests,
    DemoHostLink,
    DemoMove,
    DemoNewOrder,
    DemoRefuseProposal,
    DemoRewardView,
    DemosPage,
    DemoView,
    MoveConfirm,
    MoveKeep,
)
from views.dates import format_when, to_local
from views.demos import STATUS_ICON, calendar_document, describe_demo, overlap_warning
from views.i18n import _, formatting_locale
from views.paging import locate, window, with_nav
from views.party_close import close_button

PAGE_SIZE = 8
MOVE_CONFIRM = "move_confirm"
END = ConversationHandler.END


def host_link(context: Context, demo: Demo) -> str:
    return links.host_link(context.bot.username, demo.host_token)


async def give_host_link(update: Update, context: Context, demo: Demo, me: User) -> None:
    """Two messages: the link with instructions, and an invitation ready to forward."""
    link = host_link(context, demo)
    await say(
        update,
        _(
            "Send this link to {host}: it shows the demo and lets them confirm it, decline it or propose "
            "another time.\n{link}"
        ).format(host=demo.host_name, link=link),
    )
    await say(
        update,
        _(
            "Hi {host}! I'm {reseller}. I'd love to hold a product demonstration at your home on {when}, "
            "with a few friends of yours. Please open this link to confirm or to suggest another time:\n{link}"
        ).format(
            host=demo.host_name,
            reseller=me.display_name,
            when=format_when(demo.starts_at, tz=demo.timezone, lang=me.locale),
            link=link,
        ),
    )


async def send_own_calendar(update: Update, context: Context, demo: Demo, me: User, *, reseller_name: str) -> None:
    """The .ics file for the sender, in their language."""
    await send_file(
        update,
        calendar_document(demo, reseller_name=reseller_name, tz=me.timezone, lang=me.locale, now=context.clock.now()),
    )


@reads_only
async def list_demos(update: Update, context: Context) -> None:
    page = DemosPage.of(update).page if update.callback_query else 0
    async with seller_scope(update, context) as (session, me):
        found, total = await demos.upcoming_demos(
            session, reseller_id=me.id, now=context.clock.now(), limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        if not total:
            await answer(
                update,
                _("You have no upcoming demos. Schedule one with /newdemo."),
                edit=update.callback_query is not None,
            )
            return
        if not found:  # a page that no longer exists (an old button): the last one
            page, offset = locate(page, total=total, size=PAGE_SIZE)
            found, total = await demos.upcoming_demos(
                session, reseller_id=me.id, now=context.clock.now(), limit=PAGE_SIZE, offset=offset
            )
        shown = window(found, number=page, total=total, size=PAGE_SIZE)
        rows = [
            [
                (
                    _("{when} · {host} · {status}").format(
                        when=_short_when(d, me), host=d.host_name, status=STATUS_ICON[d.status]
                    ),
                    DemoView(d.id),
                )
            ]
            for d in found
        ]
        text = _("Your upcoming demos ({count}). Times are in {zone}. Page {page} of {pages}.").format(
            count=total, zone=me.timezone, page=shown.number + 1, pages=shown.count
        )
        await answer(update, text, keyboard(with_nav(rows, shown, DemosPage)), edit=update.callback_query is not None)


def _short_when(demo: Demo, me: User) -> str:
    local = to_local(demo.starts_at, me.timezone)
    locale = formatting_locale(me.locale)
    return format_skeleton("MMMEd", local, locale=locale) + " " + format_time(local, "short", locale=locale)


def _detail_keyboard(demo: Demo, me: User):
    rows = []
    if demo.status == DemoStatus.PROPOSED:
        rows.append(
            [
                (_("✅ Accept proposal"), DemoAcceptProposal(demo.id)),
                (_("✖️ Refuse proposal"), DemoRefuseProposal(demo.id)),
            ]
        )
    rows.append([(_("👥 Guests"), DemoGuests(demo.id)), (_("🛒 New order"), DemoNewOrder(demo.id))])
    rows.append(
        [(_("🎁 Host reward"), DemoRewardView(demo.id)), (_("➕ Booking from this party"), DemoBookFromParty(demo.id))]
    )
    if demo.status != DemoStatus.CANCELLED:
        rows.append([close_button(demo, me)])
    rows.append([(_("📅 Calendar"), DemoCalendar(demo.id)), (_("🔗 Host link"), DemoHostLink(demo.id))])
    rows.append([(_("🕑 Reschedule"), DemoMove(demo.id)), (_("🚫 Cancel demo"), DemoCancel(demo.id))])
    rows.append([(_("🔒 Erase a guest's data"), DemoGuestErasure(demo.id))])
    rows.append([(_("« All demos"), DemosPage(0))])
    return keyboard(rows)


@reads_only
async def show_demo(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoView.of(update).demo_id, reseller=me)
        blocked = bool(await users.unreachable_among(session, [demo.host_user_id]))
        text = describe_demo(demo, tz=me.timezone, lang=me.locale, host_blocked=blocked)
        await answer(update, text, _detail_keyboard(demo, me), edit=True)


@reads_only
async def send_demo_calendar(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoCalendar.of(update).demo_id, reseller=me)
        await ack(update)
        await send_own_calendar(update, context, demo, me, reseller_name=me.display_name)


async def regive_host_link(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoHostLink.of(update).demo_id, reseller=me)
        if demo.status == DemoStatus.CANCELLED:
            raise DomainError("demo_cancelled")
        await ack(update)
        await give_host_link(update, context, demo, me)


@reads_only
async def ask_cancel(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoCancel.of(update).demo_id, reseller=me)
        if demo.status == DemoStatus.CANCELLED:
            raise DomainError("demo_cancelled")
        rows = [[(_("Yes, cancel it"), DemoCancelConfirmed(demo.id)), (_("No, keep it"), DemoView(demo.id))]]
        text = _("Cancel the demo at {host}'s on {when}? The host will be told.").format(
            host=demo.host_name, when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale)
        )
        await answer(update, text, keyboard(rows), edit=True)


async def cancel_confirmed(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoCancelConfirmed.of(update).demo_id, reseller=me)
        was_confirmed = demo.status == DemoStatus.CONFIRMED
        await demos.cancel_demo(session, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        host = await users.get_user(session, demo.host_user_id) if demo.host_user_id else None
        await tell(context, host, "demo_cancelled", demo_id=demo.id, calendar=was_confirmed)
        await answer(update, _("The demo at {host}'s is cancelled.").format(host=demo.host_name), edit=True)
        if was_confirmed:  # out of the calendars it was put in
            await send_own_calendar(update, context, demo, me, reseller_name=me.display_name)


async def accept_proposal(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoAcceptProposal.of(update).demo_id, reseller=me)
        await demos.accept_proposal(session, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        host = await users.get_user(session, demo.host_user_id) if demo.host_user_id else None
        await tell(context, host, "proposal_accepted", demo_id=demo.id, seq=demo.ics_sequence, calendar=True)
        await answer(
            update,
            _("Done: the demo is now on {when}, confirmed.").format(
                when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale)
            ),
            edit=True,
        )
        await send_own_calendar(update, context, demo, me, reseller_name=me.display_name)


async def refuse_proposal(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoRefuseProposal.of(update).demo_id, reseller=me)
        await demos.refuse_proposal(session, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        host = await users.get_user(session, demo.host_user_id) if demo.host_user_id else None
        await tell(context, host, "proposal_refused", demo_id=demo.id, seq=demo.ics_sequence)
        await answer(
            update, _("You kept the original time. The host is asked to confirm it or propose another."), edit=True
        )


async def start_move(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoMove.of(update).demo_id, reseller=me)
        if demo.status == DemoStatus.CANCELLED:
            raise DomainError("demo_cancelled")
        await ack(update)
        context.user_data[when.prefix] = {"demo_id": demo.id}
        return await when.ask_date(
            update, context, me, _("New day for the demo at {host}'s?").format(host=demo.host_name)
        )


async def move_time_chosen(update: Update, context: Context, me: User, starts_at: datetime) -> str:
    draft = context.user_data[when.prefix]
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=draft["demo_id"], reseller=me)
        overlaps = await demos.find_overlaps(
            session, reseller_id=me.id, starts_at=starts_at, duration_minutes=demo.duration_minutes, exclude_id=demo.id
        )
        draft["starts_at"] = starts_at.isoformat()
        text = _("Move the demo at {host}'s\nfrom {old}\nto {new}?\nThe host will be asked to confirm again.").format(
            host=demo.host_name,
            old=format_when(demo.starts_at, tz=me.timezone, lang=me.locale),
            new=format_when(starts_at, tz=me.timezone, lang=me.locale),
        ) + overlap_warning(overlaps, tz=me.timezone, lang=me.locale)
        rows = [[(_("✅ Move it"), MoveConfirm()), (_("✖️ Keep it"), MoveKeep())]]
        await say(update, text, reply_markup=keyboard(rows))
        return MOVE_CONFIRM


when = WhenSteps("mv", move_time_chosen)


async def save_move(update: Update, context: Context) -> int:
    draft = context.user_data.get(when.prefix) or {}
    async with seller_scope(update, context) as (session, me):
        if "starts_at" not in draft:
            raise DomainError("stale_button")
        demo = await demos.demo_of_reseller(session, demo_id=draft["demo_id"], reseller=me)
        host_had_calendar = demo.status == DemoStatus.CONFIRMED
        await demos.reschedule_demo(
            session, demo=demo, starts_at=datetime.fromisoformat(draft["starts_at"]), now=context.clock.now()
        )
        await replan(session, context, demo)
        host = await users.get_user(session, demo.host_user_id) if demo.host_user_id else None
        # The host's calendar event is replaced, as tentative, if they had one.
        await tell(context, host, "demo_moved", demo_id=demo.id, seq=demo.ics_sequence, calendar=host_had_calendar)
        context.user_data.pop(when.prefix, None)
        await answer(
            update,
            _("Moved to {when}. The host is asked to confirm the new time.").format(
                when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale)
            ),
            edit=True,
        )
        await send_own_calendar(update, context, demo, me, reseller_name=me.display_name)
    return END


async def keep_time(update: Update, context: Context) -> int:
    await ack(update)
    return await cancel(update, context)


def handlers() -> list:
    reschedule = ConversationHandler(
        name="reschedule",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_move, pattern=DemoMove.matches)],
        states={
            **when.states(),
            MOVE_CONFIRM: [
                CallbackQueryHandler(save_move, pattern=MoveConfirm.matches),
                CallbackQueryHandler(keep_time, pattern=MoveKeep.matches),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        reschedule,
        CommandHandler("demos", list_demos, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(list_demos, pattern=DemosPage.matches),
        CallbackQueryHandler(show_demo, pattern=DemoView.matches),
        CallbackQueryHandler(send_demo_calendar, pattern=DemoCalendar.matches),
        CallbackQueryHandler(regive_host_link, pattern=DemoHostLink.matches),
        CallbackQueryHandler(ask_cancel, pattern=DemoCancel.matches),
        CallbackQueryHandler(cancel_confirmed, pattern=DemoCancelConfirmed.matches),
        CallbackQueryHandler(accept_proposal, pattern=DemoAcceptProposal.matches),
        CallbackQueryHandler(refuse_proposal, pattern=DemoRefuseProposal.matches),
    ]
