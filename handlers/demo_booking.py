"""/newdemo: the reseller books a demo at a host's home, then gets the host's link.

```mermaid
stateDiagram-v2
    [*] --> HOST_NAME: /newdemo
    HOST_NAME --> HOST_PHONE
    HOST_PHONE --> ADDRESS: typed or Skip
    ADDRESS --> nd_date
    nd_date --> nd_time
    nd_time --> nd_clarify: clocks go back that night
    nd_time --> DURATION
    nd_clarify --> DURATION
    DURATION --> NOTES
    NOTES --> SUMMARY: typed or Skip
    SUMMARY --> [*]: Save (demo stored as awaiting host)
```
/cancel at any step drops the draft.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import Context
from handlers import demos as demo_views
from handlers.common import ack, answer, cancel, keyboard, replan, say, seller_scope
from handlers.when import WhenSteps
from models import demos
from models.users import User
from views.callbacks import (
    DemoBookFromParty,
    NewDemoCancel,
    NewDemoDuration,
    NewDemoSave,
    NewDemoSkipNotes,
    NewDemoSkipPhone,
)
from views.dates import format_duration, format_when, parse_duration_input
from views.demos import describe, overlap_warning
from views.i18n import _, home_region

HOST_NAME, HOST_PHONE, ADDRESS, DURATION, NOTES, SUMMARY = (
    "host_name",
    "host_phone",
    "address",
    "duration",
    "notes",
    "summary",
)
END = ConversationHandler.END
DRAFT = "nd"
DURATIONS = (60, 90, 120, 180)
TEXT = filters.TEXT & ~filters.COMMAND


def _draft(context: Context) -> dict:
    return context.user_data.setdefault(DRAFT, {})


async def start_booking(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        context.user_data[DRAFT] = {}
        if update.callback_query:  # "Booking from this party": that party's host earns a bonus
            source = await demos.demo_of_reseller(session, demo_id=DemoBookFromParty.of(update).demo_id, reseller=me)
            await ack(update)
            context.user_data[DRAFT]["source_demo_id"] = source.id
        await say(update, _("Let's schedule a home demo. /cancel stops at any time.\n\nWhat is the host's name?"))
        return HOST_NAME


async def save_host_name(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        _draft(context)["host_name"] = demos.validate_host_name(update.message.text)
        await say(
            update,
            _("The host's phone number? It is optional."),
            reply_markup=keyboard([[(_("Skip"), NewDemoSkipPhone())]]),
        )
        return HOST_PHONE


async def save_host_phone(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (_session, me):
        region = home_region(me.timezone)
        _draft(context)["host_phone"] = demos.validate_phone(update.message.text, region=region)
        return await _ask_address(update)


async def skip_host_phone(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        await ack(update)
        _draft(context)["host_phone"] = None
        return await _ask_address(update)


async def _ask_address(update: Update) -> str:
    await say(update, _("The address of the demo (street, number, town)?"))
    return ADDRESS


async def save_address(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (_session, me):
        _draft(context)["address"] = demos.validate_address(update.message.text)
        return await when.ask_date(update, context, me, _("Which day is the demo?"))


async def time_chosen(update: Update, context: Context, me: User, starts_at: datetime) -> str:
    _draft(context)["starts_at"] = starts_at.isoformat()
    rows = [[(format_duration(m, lang=me.locale), NewDemoDuration(m)) for m in DURATIONS]]
    await say(
        update,
        _("{when}. How long will it last? Choose or type it (for example 2 or 1:30).").format(
            when=format_when(starts_at, tz=me.timezone, lang=me.locale)
        ),
        reply_markup=keyboard(rows),
    )
    return DURATION


when = WhenSteps(DRAFT, time_chosen)


async def save_typed_duration(update: Update, context: Context) -> str:
    return await _save_duration(update, context, parse_duration_input(update.message.text))


async def save_picked_duration(update: Update, context: Context) -> str:
    await ack(update)
    return await _save_duration(update, context, NewDemoDuration.of(update).minutes)


async def _save_duration(update: Update, context: Context, minutes: int) -> str:
    async with seller_scope(update, context):
        _draft(context)["duration"] = demos.validate_duration(minutes)
        await say(
            update,
            _("Any notes for yourself (products to bring, parking, ...)? They are not shown to the host."),
            reply_markup=keyboard([[(_("Skip"), NewDemoSkipNotes())]]),
        )
        return NOTES


async def save_notes(update: Update, context: Context) -> str:
    return await _save_notes(update, context, demos.validate_notes(update.message.text))


async def skip_notes(update: Update, context: Context) -> str:
    await ack(update)
    return await _save_notes(update, context, None)


async def _save_notes(update: Update, context: Context, notes: str | None) -> str:
    async with seller_scope(update, context) as (session, me):
        draft = _draft(context)
        draft["notes"] = notes
        starts_at = datetime.fromisoformat(draft["starts_at"])
        overlaps = await demos.find_overlaps(
            session, reseller_id=me.id, starts_at=starts_at, duration_minutes=draft["duration"]
        )
        text = (
            _("Please check the demo:")
            + "\n\n"
            + describe(
                host_name=draft["host_name"],
                host_phone=draft.get("host_phone"),
                address=draft["address"],
                starts_at=starts_at,
                duration_minutes=draft["duration"],
                notes=notes,
                tz=me.timezone,
                lang=me.locale,
            )
            + overlap_warning(overlaps, tz=me.timezone, lang=me.locale)
        )
        rows = [[(_("✅ Save"), NewDemoSave()), (_("✖️ Cancel"), NewDemoCancel())]]
        await say(update, text, reply_markup=keyboard(rows))
        return SUMMARY


async def save_demo(update: Update, context: Context) -> int:
    async with seller_scope(update, context) as (session, me):
        draft = _draft(context)
        demo = await demos.schedule_demo(
            session,
            reseller=me,
            host_name=draft["host_name"],
            host_phone=draft.get("host_phone"),
            address=draft["address"],
            starts_at=datetime.fromisoformat(draft["starts_at"]),
            duration_minutes=draft["duration"],
            notes=draft.get("notes"),
            timezone=me.timezone,
            now=context.clock.now(),
            source_demo_id=draft.get("source_demo_id"),
        )
        await replan(session, context, demo)
        context.user_data.pop(DRAFT, None)
        await answer(update, _("Saved! The demo is waiting for the host's confirmation."), edit=True)
        await demo_views.give_host_link(update, context, demo, me)
        return END


async def cancel_booking(update: Update, context: Context) -> int:
    await ack(update)
    return await cancel(update, context)


def handlers() -> list:
    return [
        ConversationHandler(
            name="newdemo",
            persistent=True,
            allow_reentry=True,
            entry_points=[
                CommandHandler("newdemo", start_booking),
                CallbackQueryHandler(start_booking, pattern=DemoBookFromParty.matches),
            ],
            states={
                HOST_NAME: [MessageHandler(TEXT, save_host_name)],
                HOST_PHONE: [
                    CallbackQueryHandler(skip_host_phone, pattern=NewDemoSkipPhone.matches),
                    MessageHandler(TEXT, save_host_phone),
                ],
                ADDRESS: [MessageHandler(TEXT, save_address)],
                **when.states(),
                DURATION: [
                    CallbackQueryHandler(save_picked_duration, pattern=NewDemoDuration.matches),
                    MessageHandler(TEXT, save_typed_duration),
                ],
                NOTES: [
                    CallbackQueryHandler(skip_notes, pattern=NewDemoSkipNotes.matches),
                    MessageHandler(TEXT, save_notes),
                ],
                SUMMARY: [
                    CallbackQueryHandler(save_demo, pattern=NewDemoSave.matches),
                    CallbackQueryHandler(cancel_booking, pattern=NewDemoCancel.matches),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
        )
    ]
