"""What people see of their privacy rights: /privacy, the /mydata file and its summary, the
/forget question and answer, an advisor erasing a guest, and the messages these send others."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

from models.demos import Demo
from models.guests import Guest
from models.privacy import Erasure, Preview
from models.users import User
from views.callbacks import (
    DemoGuestErasure,
    DemosPage,
    DemoView,
    ForgetConfirmed,
    ForgetKeep,
    GuestErase,
    GuestEraseConfirmed,
    PrivacyErase,
    TeamPage,
)
from views.dates import format_when
from views.i18n import _, ngettext
from views.keyboards import keyboard
from views.outgoing import Document, Outgoing

EXPORT_FORMAT = "homedemo-personal-data/1"
GUEST_BUTTONS_MAX = 40


# ---- /privacy ----


def privacy_text(me: User | None, registrations: list[tuple[Guest, Demo]]) -> str:
    if me is None:
        return _("We keep no data about you.")
    lines = [
        _("What we keep about you: your Telegram id, the name “{name}”, your language and timezone.").format(
            name=me.display_name
        )
    ]
    for guest, demo in registrations:
        lines.append(
            _("• guest of a demo on {when}: {name}, {phone}").format(
                when=format_when(demo.starts_at, tz=me.timezone, lang=me.locale),
                name=guest.name,
                phone=guest.phone or "—",
            )
        )
    lines.append(_("Orders you placed are kept as the law requires for sales records."))
    lines.append(_("/mydata sends you a copy of everything we keep about you; /forget erases it."))
    if me.is_seller:
        lines.append(
            _("A guest asks you to erase their data? Open the demo in /demos and press “Erase a guest's data”.")
        )
    return "\n".join(lines)


def privacy_keyboard(registrations: list[tuple[Guest, Demo]]):
    return keyboard([[(_("🗑 Erase my guest data"), PrivacyErase())]]) if registrations else None


def guest_data_erased(count: int) -> str:
    return ngettext(
        "Done: your name and phone were removed from {count} guest list.",
        "Done: your name and phone were removed from {count} guest lists.",
        count,
    ).format(count=count)


# ---- /mydata ----


def _plain(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not exported")


def export_document(data: dict, *, now: datetime) -> Document:
    body = {"format": EXPORT_FORMAT, "generated_at": now, **data}
    text = json.dumps(body, default=_plain, ensure_ascii=False, indent=2, sort_keys=False)
    return Document(
        text.encode("utf-8"),
        f"homedemo-my-data-{now.date().isoformat()}.json",
        _("Everything HomeDemo keeps about you (JSON)."),
    )


COUNTS = (
    ("demos_you_run", lambda n: ngettext("{count} demo you run", "{count} demos you run", n)),
    ("guests_you_added", lambda n: ngettext("{count} guest you added by hand", "{count} guests you added by hand", n)),
    ("orders_you_logged", lambda n: ngettext("{count} order you logged", "{count} orders you logged", n)),
    ("commission_entries", lambda n: ngettext("{count} commission entry", "{count} commission entries", n)),
    ("demos_you_host", lambda n: ngettext("{count} demo you host", "{count} demos you host", n)),
    (
        "your_guest_registrations",
        lambda n: ngettext("{count} guest list you are on", "{count} guest lists you are on", n),
    ),
    ("orders_you_placed", lambda n: ngettext("{count} order you placed", "{count} orders you placed", n)),
    ("messages_to_you", lambda n: ngettext("{count} message to you", "{count} messages to you", n)),
)


def export_summary(data: dict) -> str:
    lines = [_("Here is a copy of everything we keep about you, as a JSON file. In short:")]
    lines += ["• " + phrase(len(data[key])).format(count=len(data[key])) for key, phrase in COUNTS if data[key]]
    if len(lines) == 1:
        lines.append("• " + _("your profile, and nothing else"))
    lines.append(_("To erase your data, send /forget."))
    return "\n".join(lines)


# ---- /forget ----


def forget_question(me: User, preview: Preview) -> tuple[str, object]:
    lines = [
        _("Erase your data from HomeDemo? This cannot be undone."),
        "• " + _("Your name, Telegram id, settings, guest registrations and unfinished answers are deleted."),
        "• "
        + _(
            "Orders and commissions are kept for 10 years, as Italian accounting law requires, without "
            "your name or phone."
        ),
    ]
    if preview.blocked:
        lines.append(_("Your upcoming demos need someone to take them over, and there is nobody: ask an admin first."))
        return "\n".join(lines), None
    if preview.open_demos:
        lines.append(
            "• "
            + ngettext(
                "{count} upcoming demo of yours goes to {sponsor}.",
                "{count} upcoming demos of yours go to {sponsor}.",
                preview.open_demos,
            ).format(count=preview.open_demos, sponsor=preview.sponsor.display_name)
        )
    if preview.members:
        name = preview.sponsor.display_name if preview.sponsor else "—"
        lines.append(
            "• "
            + ngettext(
                "{count} advisor you brought in moves to {sponsor}'s team.",
                "{count} advisors you brought in move to {sponsor}'s team.",
                preview.members,
            ).format(count=preview.members, sponsor=name)
        )
    if preview.hosted_open:
        lines.append("• " + _("The demos you host lose your name, phone and street; their advisor is told."))
    markup = keyboard([[(_("🗑 Yes, erase"), ForgetConfirmed(me.id)), (_("No, keep my data"), ForgetKeep())]])
    return "\n".join(lines), markup


def forget_kept() -> str:
    return _("Nothing was erased.")


def forget_done() -> str:
    return _(
        "Done: your data has been erased. Orders and commissions stay for 10 years without your name. "
        "If you send /start again, you start from scratch."
    )


# ---- an advisor erases a guest at the guest's request ----


def erasable_guests(demo: Demo, guests: list[Guest]) -> tuple[str, object]:
    rows = [[(g.name + (f" · {g.phone}" if g.phone else ""), GuestErase(g.id))] for g in guests[:GUEST_BUTTONS_MAX]]
    rows.append([(_("« Demo"), DemoView(demo.id))])
    if not guests:
        return _("No guest data to erase at this demo."), keyboard(rows)
    return _(
        "Whose data should be erased? Do it when the guest asks you to: their name and phone go from your "
        "guest lists and orders, for good."
    ), keyboard(rows)


def erase_guest_question(guest: Guest) -> tuple[str, object]:
    text = _(
        "Erase {name}'s data? Their name and phone are removed from your guest lists and orders; the orders "
        "themselves stay, as sales records must."
    ).format(name=guest.name)
    return text, keyboard(
        [[(_("🗑 Yes, erase"), GuestEraseConfirmed(guest.id)), (_("No, keep"), DemoGuestErasure(guest.demo_id))]]
    )


def guest_erased(result: Erasure, demo: Demo) -> tuple[str, object]:
    lines = [
        _("Done: the guest's name and phone are erased from:"),
        "• " + ngettext("{count} guest list", "{count} guest lists", result.guests).format(count=result.guests),
    ]
    if result.orders:
        lines.append(
            "• "
            + ngettext(
                "{count} order, kept as a sales record", "{count} orders, kept as sales records", result.orders
            ).format(count=result.orders)
        )
    return "\n".join(lines), keyboard([[(_("« Demo"), DemoView(demo.id))]])


# ---- messages to others (rendered at send time, in the reader's language) ----


def handover(facts: dict, reader: User, env: object) -> Outgoing:
    demos, members = facts.get("demos", 0), facts.get("members", 0)
    lines = [_("An advisor of your team has erased their data from HomeDemo, and what they had passes to you:")]
    if demos:
        lines.append(
            "• "
            + ngettext("{count} upcoming demo: see /demos", "{count} upcoming demos: see /demos", demos).format(
                count=demos
            )
        )
    if members:
        lines.append(
            "• "
            + ngettext(
                "{count} advisor joins your team: see /team", "{count} advisors join your team: see /team", members
            ).format(count=members)
        )
    rows = [[(_("📅 Demos"), DemosPage(0))]] if demos else []
    rows += [[(_("👥 Team"), TeamPage(0))]] if members else []
    return Outgoing("\n".join(lines), keyboard(rows) if rows else None)


def host_erased(facts, reader: User, env: object) -> Outgoing:
    when = format_when(facts.demo.starts_at, tz=reader.timezone, lang=reader.locale)
    return Outgoing(
        _(
            "The host of your demo on {when} has erased their data from HomeDemo: the demo no longer has a host "
            "and only the town of its address is kept. Check with them whether it still takes place."
        ).format(when=when),
        keyboard([[(_("Details"), DemoView(facts.demo.id))]]),
    )
