"""The guest list of a demo, a page at a time: the reseller's (names, phones, one check-in
button per guest) and the host's (first names only)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from models.demos import Demo
from models.guests import Guest, GuestStatus, GuestTotals
from views.callbacks import (
    DemoAddGuest,
    DemoCapacity,
    DemoGuestLink,
    DemoGuestsPage,
    DemoView,
    GuestCheckIn,
    HostGuestLink,
    HostGuestsPage,
)
from views.i18n import N_, _
from views.keyboards import keyboard
from views.paging import Page, with_nav

# The longest line (a 64-character name, a phone, "not yet informed...") is under 200
# characters: twenty of them and the header fit in one message, so a page edits in place.
GUESTS_PAGE = 20

GUEST_STATUS = {
    GuestStatus.GOING: N_("coming"),
    GuestStatus.WAITLIST: N_("waiting list"),
    GuestStatus.NOT_COMING: N_("can't come"),
}


def guest_line(guest: Guest, *, first_names_only: bool, blocked: bool = False) -> str:
    name = guest.first_name if first_names_only else guest.name
    parts = [("☑ " if guest.checked_in_at else "") + name, _(GUEST_STATUS[guest.status])]
    if not first_names_only:
        if guest.phone:
            parts.append(guest.phone)
        if guest.consent_at is None:
            parts.append(_("⚠️ not yet informed of the privacy notice"))
        if blocked:
            parts.append(_("🔕 blocked the bot: no reminder reaches them"))
    return " · ".join(parts)


def reseller_guest_list(
    demo: Demo, page: Page[Guest], totals: GuestTotals, *, blocked: frozenset[int] = frozenset()
) -> tuple[str, InlineKeyboardMarkup]:
    """The header keeps the whole demo's figures; the lines and buttons are this page's. `blocked`: the
    users among the guests who blocked the bot, flagged so that the reseller tells them another way."""
    capacity = _("no limit") if demo.capacity is None else str(demo.capacity)
    header = _("Guests of the demo at {host}'s. Coming: {going} · checked in: {came} · capacity: {capacity}.").format(
        host=demo.host_name, going=totals.going, came=totals.checked_in, capacity=capacity
    )
    body = "\n".join(
        f"{n}. {guest_line(g, first_names_only=False, blocked=g.user_id in blocked)}" for n, g in page.numbered()
    ) or _("No guests yet.")
    rows = [
        [(("☑ " if g.checked_in_at else "☐ ") + g.name, GuestCheckIn(g.id, page.number))]
        for g in page.items
        if g.status != GuestStatus.NOT_COMING
    ]
    rows = with_nav(rows, page, lambda number: DemoGuestsPage(demo.id, number))
    rows.append([(_("➕ Add guest"), DemoAddGuest(demo.id)), (_("👥 Capacity"), DemoCapacity(demo.id))])
    rows.append([(_("🔗 Guest link"), DemoGuestLink(demo.id)), (_("« Demo"), DemoView(demo.id))])
    return header + "\n\n" + body + "\n\n" + _("Tap a name to mark that the guest came."), keyboard(rows)


def host_guest_list(demo: Demo, page: Page[Guest]) -> tuple[str, InlineKeyboardMarkup]:
    body = "\n".join(guest_line(g, first_names_only=True) for g in page.items) or _("No guests yet.")
    rows = with_nav([], page, lambda number: HostGuestsPage(demo.id, number))
    rows.append([(_("🔗 Guest link"), HostGuestLink(demo.id))])
    return _("Guests so far:") + "\n" + body, keyboard(rows)
