"""Guests: RSVP through the guest link, the reseller's guest list (add by hand, check-in,
capacity) and the host's view of it; /privacy for what we keep about a guest.

```mermaid
stateDiagram-v2
    [*] --> CONSENT: /start g_<token> (demo shown with the privacy notice)
    CONSENT --> GUEST_NAME: I agree
    GUEST_NAME --> GUEST_PHONE
    GUEST_PHONE --> [*]: registered, or on the waiting list when full
    [*] --> ADD_NAME: Add guest (reseller)
    ADD_NAME --> ADD_PHONE
    ADD_PHONE --> [*]
    [*] --> CAPACITY: Capacity (reseller)
    CAPACITY --> [*]
```
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.boundary import reads_only
from bot.context import Context
from handlers.common import ack, answer, cancel, keyboard, replan, say, seller_scope, sender_locale, tell, user_scope
from models import DomainError, demos, guests, users
from models.guests import Guest, GuestStatus
from models.users import User
from views import guests as views_guests
from views import links
from views.callbacks import (
    AddGuestSkipPhone,
    CapacityNoLimit,
    DemoAddGuest,
    DemoCapacity,
    DemoGuestLink,
    DemoGuests,
    DemoGuestsPage,
    GuestCantCome,
    GuestCheckIn,
    HostGuestLink,
    HostGuests,
    HostGuestsPage,
    RsvpAgree,
    RsvpDecline,
    RsvpSkipPhone,
    RsvpTelegramName,
)
from views.dates import format_when
from views.guests import GUESTS_PAGE, reseller_guest_list
from views.i18n import _, current_locale, home_region
from views.paging import locate, window

CONSENT, GUEST_NAME, GUEST_PHONE, ADD_NAME, ADD_PHONE, CAPACITY = (
    "consent",
    "guest_name",
    "guest_phone",
    "add_name",
    "add_phone",
    "capacity",
)
END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND


def guest_link(context: Context, demo: demos.Demo) -> str:
    return links.guest_link(context.bot.username, demo.guest_token)


def party_shop_link(context: Context, demo: demos.Demo) -> str:
    return links.party_shop_link(context.bot.username, demo.guest_token)


def privacy_notice(reseller_name: str) -> str:
    return _(
        "Privacy: your name and, if you give it, your phone number are kept by {reseller}, the independent "
        "advisor organising this demo, to manage the guest list, remind you of the demo and, if you buy, "
        "handle your order and your right of withdrawal. Nothing is shared for advertising. You can see "
        "or erase your data at any time with /privacy, or by asking {reseller}."
    ).format(reseller=reseller_name)


def guest_preview(demo: demos.Demo, *, host_first_name: str, lang: str) -> str:
    lines = [
        _("You are invited to a home demo at {host}'s!").format(host=host_first_name),
        _("📅 {when}").format(when=format_when(demo.starts_at, tz=demo.timezone, lang=lang)),
    ]
    if demo.area:
        lines.append(_("📍 {area}").format(area=demo.area))
    return "\n".join(lines)


async def open_guest_link(update: Update, context: Context) -> str | int:
    token = context.args[0][2:]
    async with user_scope(update, context) as (session, me):
        demo = await guests.demo_for_guest_link(session, token=token, now=context.clock.now())
        reseller = await users.get_user(session, demo.reseller_id)
        preview = guest_preview(
            demo, host_first_name=demo.host_name.split(" ")[0], lang=_current_lang(update, context, me)
        )
        preview += "\n\n" + _("Can't come? You can still order from the party's shop: {link}").format(
            link=party_shop_link(context, demo)
        )
        existing = await guests.guest_of_user(session, demo_id=demo.id, user=me) if me else None
        if existing is not None and existing.status != GuestStatus.NOT_COMING:
            await say(
                update, preview + "\n\n" + _registered_text(existing, demo), reply_markup=_guest_keyboard(existing)
            )
            return END
        context.user_data["rsvp"] = {"demo_id": demo.id, "token": token}
        if await guests.is_full(session, demo):
            preview += "\n\n" + _(
                "The demo is full: you can join the waiting list, and I will tell you if a place frees up."
            )
        await say(
            update,
            preview + "\n\n" + privacy_notice(reseller.display_name),
            reply_markup=keyboard([[(_("✅ I agree, continue"), RsvpAgree()), (_("No, thanks"), RsvpDecline())]]),
        )
        return CONSENT


def _current_lang(update: Update, context: Context, me: User | None) -> str:
    return me.locale if me else sender_locale(update, context)


async def agree(update: Update, context: Context) -> str:
    async with user_scope(update, context):
        context.user_data["rsvp"]["consent_at"] = context.clock.now().isoformat()
        await answer(
            update,
            _("Thank you. What name should the host see?"),
            keyboard(
                [
                    [
                        (
                            _("Use “{name}”").format(name=users.clean_name(update.effective_user.full_name)),
                            RsvpTelegramName(),
                        )
                    ]
                ]
            ),
            edit=True,
        )
        return GUEST_NAME


async def decline_notice(update: Update, context: Context) -> int:
    async with user_scope(update, context):
        context.user_data.pop("rsvp", None)
        await answer(update, _("No problem: nothing about you has been saved."), edit=True)
        return END


async def save_guest_name_text(update: Update, context: Context) -> str:
    return await _save_guest_name(update, context, update.message.text)


async def save_guest_name_button(update: Update, context: Context) -> str:
    await ack(update)
    return await _save_guest_name(update, context, update.effective_user.full_name)


async def _save_guest_name(update: Update, context: Context, name: str) -> str:
    async with user_scope(update, context):
        context.user_data["rsvp"]["name"] = users.validate_display_name(name)
        await say(
            update,
            _("Your phone number, in case the host needs to reach you? It is optional."),
            reply_markup=keyboard([[(_("Skip"), RsvpSkipPhone())]]),
        )
        return GUEST_PHONE


async def save_guest_phone(update: Update, context: Context) -> int:
    return await _register(update, context, update.message.text)


async def skip_guest_phone(update: Update, context: Context) -> int:
    await ack(update)
    return await _register(update, context, None)


async def _register(update: Update, context: Context, phone: str | None) -> int:
    draft = context.user_data["rsvp"]
    sender = update.effective_user
    async with user_scope(update, context) as (session, me):
        now = context.clock.now()
        demo = await guests.demo_for_guest_link(session, token=draft["token"], now=now)
        if me is None:
            me = await users.get_or_create_user(
                session,
                telegram_id=sender.id,
                name=draft["name"],
                locale=_current_lang(update, context, None),
                timezone=demo.timezone,
                now=now,
            )
        guest = await guests.rsvp(
            session,
            demo=demo,
            user=me,
            name=draft["name"],
            phone=phone,
            region=home_region(demo.timezone),
            consent_at=datetime.fromisoformat(draft["consent_at"]),
            now=now,
        )
        await replan(session, context, demo)
        context.user_data.pop("rsvp", None)
        await say(update, _registered_text(guest, demo), reply_markup=_guest_keyboard(guest))
    return END


def _registered_text(guest: Guest, demo: demos.Demo) -> str:
    if guest.status == GuestStatus.WAITLIST:
        return _("The demo is full, so you are on the waiting list. I will tell you as soon as a place frees up.")
    return _("You are on the guest list, {name}! See you on {when} at {address}.").format(
        name=guest.first_name,
        when=format_when(demo.starts_at, tz=demo.timezone, lang=current_locale()),
        address=demo.address,
    )


def _guest_keyboard(guest: Guest):
    return keyboard([[(_("I can't come"), GuestCantCome(guest.id))]])


async def cant_come(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        guest = await session.get(Guest, GuestCantCome.of(update).guest_id, with_for_update=True)
        if guest is None or me is None or guest.user_id != me.id:
            raise DomainError("guest_not_found")
        demo = await session.get(demos.Demo, guest.demo_id)
        promoted = await guests.cancel_rsvp(session, guest=guest, demo=demo, now=context.clock.now())
        await replan(session, context, demo)
        await _tell_promoted(session, context, promoted)
        await answer(update, _("Thank you for telling us. You are no longer on the guest list."), edit=True)


async def _tell_promoted(session, context: Context, promoted: list[Guest]) -> None:
    """Guests moved from the waiting list onto the guest list hear it at once."""
    for guest in promoted:
        if guest.user_id is not None:
            await tell(context, await users.get_user(session, guest.user_id), "waitlist_promoted", guest_id=guest.id)


@reads_only
async def show_guests(update: Update, context: Context) -> None:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoGuests.of(update).demo_id, reseller=me)
        await _render_guest_list(update, session, demo)


@reads_only
async def show_guests_page(update: Update, context: Context) -> None:
    pressed = DemoGuestsPage.of(update)
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=pressed.demo_id, reseller=me)
        await _render_guest_list(update, session, demo, page=pressed.page)


async def _render_guest_list(update: Update, session, demo: demos.Demo, *, page: int = 0, edit: bool = True) -> None:
    totals = await guests.guest_totals(session, demo.id)
    number, offset = locate(page, total=totals.listed, size=GUESTS_PAGE)
    found = await guests.guests_of_demo(session, demo.id, offset=offset, limit=GUESTS_PAGE)
    blocked = await users.unreachable_among(session, [g.user_id for g in found])
    text, markup = reseller_guest_list(
        demo, window(found, number=number, total=totals.listed, size=GUESTS_PAGE), totals, blocked=frozenset(blocked)
    )
    await answer(update, text, markup, edit=edit)


async def toggle_check_in(update: Update, context: Context) -> None:
    pressed = GuestCheckIn.of(update)
    async with seller_scope(update, context) as (session, me):
        guest, demo = await guests.guest_of_reseller(session, guest_id=pressed.guest_id, reseller=me)
        await guests.check_in(session, guest=guest, now=context.clock.now())
        await _render_guest_list(update, session, demo, page=pressed.page)  # the same page, edited in place


async def share_guest_link_as_reseller(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        demo = (
            await demos.demo_of_reseller(session, demo_id=DemoGuestLink.of(update).demo_id, reseller=me) if me else None
        )
        await _share_guest_link(update, context, demo)


async def share_guest_link_as_host(update: Update, context: Context) -> None:
    async with user_scope(update, context) as (session, me):
        demo = await demos.demo_of_host(session, demo_id=HostGuestLink.of(update).demo_id, host=me) if me else None
        await _share_guest_link(update, context, demo)


async def _share_guest_link(update: Update, context: Context, demo: demos.Demo | None) -> None:
    if demo is None:
        raise DomainError("demo_not_found")
    if not demo.is_open:
        raise DomainError("demo_cancelled")
    await ack(update)
    await say(
        update,
        _("Share this link with the guests: they see the demo and sign up in two taps.\n{link}").format(
            link=guest_link(context, demo)
        ),
    )
    await say(
        update,
        _(
            "And this is the party's shop: friends who cannot come order from it online, and their orders "
            "count for the party.\n{link}"
        ).format(link=party_shop_link(context, demo)),
    )


@reads_only
async def host_guest_list(update: Update, context: Context) -> None:
    """From the host's menu: a new message with the first page; its buttons then edit it."""
    paging = HostGuestsPage.parse(update.callback_query.data)
    demo_id = paging.demo_id if paging else HostGuests.of(update).demo_id
    async with user_scope(update, context) as (session, me):
        if me is None:
            raise DomainError("demo_not_found")
        demo = await demos.demo_of_host(session, demo_id=demo_id, host=me)
        total = await guests.count_guests(session, demo.id, which="expected")
        number, offset = locate(paging.page if paging else 0, total=total, size=GUESTS_PAGE)
        found = await guests.guests_of_demo(session, demo.id, which="expected", offset=offset, limit=GUESTS_PAGE)
        text, markup = views_guests.host_guest_list(demo, window(found, number=number, total=total, size=GUESTS_PAGE))
        await answer(update, text, markup, edit=paging is not None)


async def start_add_guest(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoAddGuest.of(update).demo_id, reseller=me)
        if not demo.is_open:
            raise DomainError("demo_cancelled")
        await ack(update)
        context.user_data["ag"] = {"demo_id": demo.id}
        await say(update, _("The guest's name? /cancel stops."))
        return ADD_NAME


async def save_added_name(update: Update, context: Context) -> str:
    async with seller_scope(update, context):
        context.user_data["ag"]["name"] = users.validate_display_name(update.message.text)
        await say(
            update,
            _("Their phone number? It is optional."),
            reply_markup=keyboard([[(_("Skip"), AddGuestSkipPhone())]]),
        )
        return ADD_PHONE


async def save_added_phone(update: Update, context: Context) -> int:
    return await _add_guest(update, context, update.message.text)


async def skip_added_phone(update: Update, context: Context) -> int:
    await ack(update)
    return await _add_guest(update, context, None)


async def _add_guest(update: Update, context: Context, phone: str | None) -> int:
    draft = context.user_data["ag"]
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=draft["demo_id"], reseller=me)
        await guests.add_guest_by_hand(
            session,
            demo=demo,
            name=draft["name"],
            phone=phone,
            region=home_region(me.timezone),
            now=context.clock.now(),
        )
        context.user_data.pop("ag", None)
        await say(update, _("Added. Remember to give them the privacy notice at the demo."))
        await _render_guest_list(update, session, demo, edit=False)
    return END


async def start_capacity(update: Update, context: Context) -> str:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=DemoCapacity.of(update).demo_id, reseller=me)
        await ack(update)
        context.user_data["cap"] = {"demo_id": demo.id}
        await say(
            update,
            _("How many guests can come at most? Type a number."),
            reply_markup=keyboard([[(_("No limit"), CapacityNoLimit())]]),
        )
        return CAPACITY


async def save_capacity_text(update: Update, context: Context) -> int:
    text = update.message.text.strip()
    if not text.isdigit():
        raise DomainError("capacity_range", high=guests.CAPACITY_MAX)
    return await _save_capacity(update, context, int(text))


async def save_no_limit(update: Update, context: Context) -> int:
    await ack(update)
    return await _save_capacity(update, context, None)


async def _save_capacity(update: Update, context: Context, capacity: int | None) -> int:
    async with seller_scope(update, context) as (session, me):
        demo = await demos.demo_of_reseller(session, demo_id=context.user_data["cap"]["demo_id"], reseller=me)
        promoted = await guests.set_capacity(session, demo=demo, capacity=capacity, now=context.clock.now())
        await replan(session, context, demo)
        await _tell_promoted(session, context, promoted)
        context.user_data.pop("cap", None)
        await _render_guest_list(update, session, demo, edit=False)
    return END


def handlers() -> list:
    rsvp = ConversationHandler(
        name="rsvp",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("start", open_guest_link, filters=filters.Regex(r"^/start g_[\w-]+$"))],
        states={
            CONSENT: [
                CallbackQueryHandler(agree, pattern=RsvpAgree.matches),
                CallbackQueryHandler(decline_notice, pattern=RsvpDecline.matches),
            ],
            GUEST_NAME: [
                CallbackQueryHandler(save_guest_name_button, pattern=RsvpTelegramName.matches),
                MessageHandler(TEXT, save_guest_name_text),
            ],
            GUEST_PHONE: [
                CallbackQueryHandler(skip_guest_phone, pattern=RsvpSkipPhone.matches),
                MessageHandler(TEXT, save_guest_phone),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    add_guest = ConversationHandler(
        name="add_guest",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_add_guest, pattern=DemoAddGuest.matches)],
        states={
            ADD_NAME: [MessageHandler(TEXT, save_added_name)],
            ADD_PHONE: [
                CallbackQueryHandler(skip_added_phone, pattern=AddGuestSkipPhone.matches),
                MessageHandler(TEXT, save_added_phone),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    capacity = ConversationHandler(
        name="capacity",
        persistent=True,
        allow_reentry=True,
        entry_points=[CallbackQueryHandler(start_capacity, pattern=DemoCapacity.matches)],
        states={
            CAPACITY: [
                CallbackQueryHandler(save_no_limit, pattern=CapacityNoLimit.matches),
                MessageHandler(TEXT, save_capacity_text),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [
        rsvp,
        add_guest,
        capacity,
        CallbackQueryHandler(cant_come, pattern=GuestCantCome.matches),
        CallbackQueryHandler(toggle_check_in, pattern=GuestCheckIn.matches),
        CallbackQueryHandler(show_guests, pattern=DemoGuests.matches),
        CallbackQueryHandler(show_guests_page, pattern=DemoGuestsPage.matches),
        CallbackQueryHandler(share_guest_link_as_reseller, pattern=DemoGuestLink.matches),
        CallbackQueryHandler(share_guest_link_as_host, pattern=HostGuestLink.matches),
        CallbackQueryHandler(host_guest_list, pattern=HostGuests.matches),
        CallbackQueryHandler(host_guest_list, pattern=HostGuestsPage.matches),
    ]
