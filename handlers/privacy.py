"""Privacy rights for everyone: /privacy (what we keep), /mydata (a copy of it as a JSON file),
/forget (erasure, after a question), a guest erasing their guest data, and an advisor erasing
a guest's data at the guest's request (from the demo's page).

```mermaid
stateDiagram-v2
    [*] --> Question: /forget
    Question --> Erased: Yes, erase (the same person only)
    Question --> [*]: No, keep my data
    [*] --> Guests: demo page, Erase a guest's data (advisor)
    Guests --> GuestQuestion: a guest
    GuestQuestion --> GuestErased: Yes, erase
    GuestQuestion --> Guests: No, keep
```

Erasure changes other people's world too: what it hands over, moves or frees is told to them
through the outbox, and the reminders of the demos it touched follow.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.boundary import current_scope, reads_only
from bot.context import Context
from handlers.common import answer, replan, say, seller_scope, send_file, tell, user_scope
from models import DomainError, demos, guests, privacy, users
from models.demos import Demo
from models.personal_data import personal_data
from views import privacy as texts
from views.callbacks import DemoGuestErasure, ForgetConfirmed, ForgetKeep, GuestErase, GuestEraseConfirmed, PrivacyErase
from views.menus import BASIC_COMMANDS, bot_commands


@reads_only
async def show_privacy(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        registrations = []
        for guest in await guests.guests_of_user(session, user=me) if me else []:
            registrations.append((guest, await session.get(Demo, guest.demo_id)))
        await say(update, texts.privacy_text(me, registrations), reply_markup=texts.privacy_keyboard(registrations))


async def erase_my_guest_data(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("stale_button")
        result = await privacy.erase_guest_registrations(session, user=me, now=context.clock.now())
        await _follow(session, context, result)
        await answer(update, texts.guest_data_erased(result.guests), edit=True)


@reads_only
async def send_my_data(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        if me is None:
            await say(update, texts.privacy_text(None, []))
            return
        data = await personal_data(session, user=me, plan=context.settings.plan)
        await send_file(update, texts.export_document(data, now=context.clock.now()))
        await say(update, texts.export_summary(data))


async def ask_forget(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        if me is None:
            context.user_data.clear()  # a half-finished sign-up is all there could be
            await say(update, texts.privacy_text(None, []))
            return
        text, markup = texts.forget_question(me, await privacy.preview(session, user=me, now=context.clock.now()))
        await say(update, text, reply_markup=markup)


async def forget(update: Update, context: Context) -> None:
    asked = ForgetConfirmed.of(update).user_id
    async with user_scope(update, context) as (session, me):
        # Button data can be forged: only the person who was asked erases, and only themselves.
        if me is None or me.id != asked:
            raise DomainError("stale_button")
        settings = context.settings
        result = await privacy.erase_person(
            session,
            user=me,
            now=context.clock.now(),
            locale=settings.default_locale,
            timezone=settings.default_timezone,
        )
        await _follow(session, context, result)
        context.user_data.clear()
        scope = current_scope()
        scope.user = None
        scope.replies.menu(bot_commands(BASIC_COMMANDS))  # an advisor's chat loses the advisor's commands
        await answer(update, texts.forget_done(), edit=True)


@reads_only
async def keep(update: Update, context: Context) -> None:
    async with user_scope(update, context):
        await answer(update, texts.forget_kept(), edit=True)


async def _follow(session, context: Context, result: privacy.Erasure) -> None:
    """Reminders follow the demos that changed; whoever gains or loses something is told."""
    for demo in result.replan.values():
        await replan(session, context, demo)
    for guest in result.promoted:
        if guest.user_id is not None:
            await tell(context, await users.get_user(session, guest.user_id), "waitlist_promoted", guest_id=guest.id)
    if result.sponsor is not None and (result.handed_demos or result.moved_members):
        await tell(context, result.sponsor, "handover", demos=len(result.handed_demos), members=result.moved_members)
    for demo in result.hosts_left:
        await tell(context, await users.get_user(session, demo.reseller_id), "host_erased", demo_id=demo.id)


# ---- an advisor erases a guest, at the guest's request ----


@reads_only
async def list_guests_to_erase(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoGuestErasure.of(update).demo_id, reseller=me)
        found = [g for g in await guests.guests_of_demo(session, demo.id) if not privacy.guest_is_erased(g)]
        text, markup = texts.erasable_guests(demo, found)
        await answer(update, text, markup, edit=True)


async def _guest_of(session, me, guest_id: int):
    guest, demo = await guests.guest_of_reseller(session, guest_id=guest_id, reseller=me)
    if privacy.guest_is_erased(guest):
        raise DomainError("guest_not_found")
    return guest, demo


@reads_only
async def ask_erase_guest(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        guest, _demo = await _guest_of(session, me, GuestErase.of(update).guest_id)
        text, markup = texts.erase_guest_question(guest)
        await answer(update, text, markup, edit=True)


async def erase_guest(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        guest, demo = await _guest_of(session, me, GuestEraseConfirmed.of(update).guest_id)
        result = await privacy.erase_guest(session, guest=guest, reseller=me, now=context.clock.now())
        await _follow(session, context, result)
        text, markup = texts.guest_erased(result, demo)
        await answer(update, text, markup, edit=True)


def handlers() -> list:
    return [
        CommandHandler("privacy", show_privacy),
        CommandHandler("mydata", send_my_data),
        CommandHandler("forget", ask_forget),
        CallbackQueryHandler(erase_my_guest_data, pattern=PrivacyErase.matches),
        CallbackQueryHandler(forget, pattern=ForgetConfirmed.matches),
        CallbackQueryHandler(keep, pattern=ForgetKeep.matches),
        CallbackQueryHandler(list_guests_to_erase, pattern=DemoGuestErasure.matches),
        CallbackQueryHandler(ask_erase_guest, pattern=GuestErase.matches),
        CallbackQueryHandler(erase_guest, pattern=GuestEraseConfirmed.matches),
    ]
