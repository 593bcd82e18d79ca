"""How a demo reads in a message, for the reseller and for the host, and in a calendar."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from models.demos import Demo, DemoStatus
from views.calendar import demo_calendar
from views.callbacks import HostConfirm, HostDecline, HostGuests, HostPropose, HostRewardView
from views.dates import format_duration, format_when
from views.i18n import N_, _
from views.keyboards import keyboard
from views.outgoing import Document

STATUS = {
    DemoStatus.AWAITING_HOST: N_("⏳ waiting for the host"),
    DemoStatus.PROPOSED: N_("🔁 the host proposed another time"),
    DemoStatus.CONFIRMED: N_("✅ confirmed by the host"),
    DemoStatus.DECLINED: N_("❌ declined by the host"),
    DemoStatus.CANCELLED: N_("🚫 cancelled"),
}


STATUS_ICON = {status: label.split(" ", 1)[0] for status, label in STATUS.items()}


def status_label(status: DemoStatus) -> str:
    return _(STATUS[status])


def describe(
    *,
    host_name: str,
    host_phone: str | None,
    address: str,
    starts_at: datetime,
    duration_minutes: int,
    notes: str | None,
    tz: str,
    lang: str,
) -> str:
    lines = [
        _("📅 {when}").format(when=format_when(starts_at, tz=tz, lang=lang)),
        _("⏱ {duration}").format(duration=format_duration(duration_minutes, lang=lang)),
        _("🏠 {host}, {address}").format(host=host_name, address=address),
    ]
    if host_phone:
        lines.append(_("📞 {phone}").format(phone=host_phone))
    if notes:
        lines.append(_("📝 {notes}").format(notes=notes))
    return "\n".join(lines)


def describe_demo(demo: Demo, *, tz: str, lang: str, with_status: bool = True, host_blocked: bool = False) -> str:
    text = describe(
        host_name=demo.host_name,
        host_phone=demo.host_phone,
        address=demo.address,
        starts_at=demo.starts_at,
        duration_minutes=demo.duration_minutes,
        notes=demo.notes,
        tz=tz,
        lang=lang,
    )
    if with_status:
        text += "\n" + status_label(demo.status)
        if demo.status == DemoStatus.PROPOSED and demo.proposed_starts_at:
            text += "\n" + _("Proposed: {when}").format(when=format_when(demo.proposed_starts_at, tz=tz, lang=lang))
    if host_blocked:
        text += "\n" + _("🔕 The host has blocked the bot: no reminders or messages reach them. Tell them yourself.")
    return text


def overlap_warning(overlaps: list[Demo], *, tz: str, lang: str) -> str:
    if not overlaps:
        return ""
    items = "\n".join(
        _("• {when} at {host}'s").format(when=format_when(d.starts_at, tz=tz, lang=lang), host=d.host_name)
        for d in overlaps
    )
    return "\n\n" + _("⚠️ This overlaps with:\n{items}").format(items=items)


def host_view(demo: Demo, *, reseller_name: str, tz: str, lang: str) -> str:
    """What the host sees: the public parts of the demo, none of the reseller's notes. Once they
    have confirmed it, the page says so instead of asking again."""
    if demo.status == DemoStatus.CONFIRMED:
        template = _("Your demo with {reseller} is confirmed:\n📅 {when}\n⏱ {duration}\n🏠 {address}\n{status}")
    else:
        template = _(
            "{reseller} would like to hold a demo at your home:\n📅 {when}\n⏱ {duration}\n🏠 {address}\n{status}"
        )
    return template.format(
        reseller=reseller_name,
        when=format_when(demo.starts_at, tz=tz, lang=lang),
        duration=format_duration(demo.duration_minutes, lang=lang),
        address=demo.address,
        status=status_label(demo.status),
    )


def host_keyboard(demo: Demo) -> InlineKeyboardMarkup:
    """Confirm/Decline while the host has not confirmed; after that, only what a host still does."""
    answer = (
        []
        if demo.status == DemoStatus.CONFIRMED
        else [[(_("✅ Confirm"), HostConfirm(demo.id)), (_("❌ Decline"), HostDecline(demo.id))]]
    )
    return keyboard(
        [
            *answer,
            [(_("🕑 Propose another time"), HostPropose(demo.id))],
            [(_("👥 Guest list"), HostGuests(demo.id)), (_("🎁 Host reward"), HostRewardView(demo.id))],
        ]
    )


def calendar_document(demo: Demo, *, reseller_name: str, tz: str, lang: str, now: datetime) -> Document:
    """The .ics file, titled and described in the recipient's language (caller sets it)."""
    cancelled = demo.status == DemoStatus.CANCELLED
    title = (_("Cancelled: HomeDemo at {host}'s") if cancelled else _("HomeDemo at {host}'s")).format(
        host=demo.host_name
    )
    description = _("Home demo with {reseller}.").format(reseller=reseller_name)
    data = demo_calendar(demo, title=title, description=description, now=now)
    caption = _("Add it to your calendar: {when}").format(when=format_when(demo.starts_at, tz=tz, lang=lang))
    if cancelled:
        caption = _("Open this to remove the demo from your calendar.")
    return Document(data, f"homedemo-{demo.id}.ics", caption)
