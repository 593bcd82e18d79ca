"""Every inline button of the bot: its prefix and its typed fields, in one place.

Buttons go out as `keyboard([[(label, DemoView(demo.id))]])`; a flow registers
`CallbackQueryHandler(show_demo, pattern=DemoView.matches)` and reads `DemoView.of(update)`.
Data that does not parse matches no handler and is answered "no longer active" (see
views.payloads). Buttons that stay in chats (notifications, receipts) keep the data they were
sent with, so a prefix, once used, keeps its meaning.
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from views.payloads import PageNumber, Payload, SearchText

__all__ = ["Payload"]  # and every class below

# The flows that ask for a day and a time (handlers.when): /newdemo, rescheduling, the host's
# proposal. A day button carries its flow, so one flow's button is never taken by another's step.
Flow = Literal["nd", "mv", "hp"]


# ---- /demos: the reseller's demos ----


class DemosPage(Payload, prefix="demos:page"):
    page: PageNumber


class DemoView(Payload, prefix="demo:view"):
    demo_id: int


class DemoCalendar(Payload, prefix="demo:ics"):
    demo_id: int


class DemoHostLink(Payload, prefix="demo:link"):
    demo_id: int


class DemoCancel(Payload, prefix="demo:cancel"):
    demo_id: int


class DemoCancelConfirmed(Payload, prefix="demo:cancelyes"):
    demo_id: int


class DemoAcceptProposal(Payload, prefix="demo:accept"):
    demo_id: int


class DemoRefuseProposal(Payload, prefix="demo:refuse"):
    demo_id: int


class DemoMove(Payload, prefix="demo:move"):
    demo_id: int


class MoveConfirm(Payload, prefix="mv:ok"):
    pass


class MoveKeep(Payload, prefix="mv:no"):
    pass


class DemoGuests(Payload, prefix="demo:guests"):
    demo_id: int


class DemoGuestsPage(Payload, prefix="demo:guestpage"):
    demo_id: int
    page: PageNumber


class DemoAddGuest(Payload, prefix="demo:addguest"):
    demo_id: int


class DemoCapacity(Payload, prefix="demo:cap"):
    demo_id: int


class DemoGuestLink(Payload, prefix="demo:glink"):
    demo_id: int


class DemoNewOrder(Payload, prefix="demo:order"):
    demo_id: int


class DemoRewardView(Payload, prefix="demo:reward"):
    demo_id: int


class DemoBookFromParty(Payload, prefix="demo:book"):
    demo_id: int


# ---- party close (the advisor chooses the party's last day for orders) ----


class PartyCloseView(Payload, prefix="party:when"):
    demo_id: int


class PartyCloseDay(Payload, prefix="party:day"):
    demo_id: int
    day: date


# ---- the host ----


class HostConfirm(Payload, prefix="host:ok"):
    demo_id: int


class HostDecline(Payload, prefix="host:no"):
    demo_id: int


class HostPropose(Payload, prefix="host:propose"):
    demo_id: int


class HostProposalSend(Payload, prefix="host:send"):
    """The host, shown the full date they typed, sends it to the advisor."""

    demo_id: int


class HostGuests(Payload, prefix="host:guests"):
    demo_id: int


class HostGuestsPage(Payload, prefix="host:guestpage"):
    demo_id: int
    page: PageNumber


class HostGuestLink(Payload, prefix="host:glink"):
    demo_id: int


class HostRewardView(Payload, prefix="host:reward"):
    demo_id: int


# ---- guests ----


class GuestCantCome(Payload, prefix="guest:no"):
    guest_id: int


class GuestCheckIn(Payload, prefix="guest:in"):
    """Check-in from the guest list, which then shows the same page again. ("guest:in:<id>",
    without a page, was the first form: it no longer parses, so it is "no longer active".)"""

    guest_id: int
    page: PageNumber


class RsvpAgree(Payload, prefix="rsvp:agree"):
    pass


class RsvpDecline(Payload, prefix="rsvp:no"):
    pass


class RsvpTelegramName(Payload, prefix="rsvp:tgname"):
    pass


class RsvpSkipPhone(Payload, prefix="rsvp:skip"):
    pass


class AddGuestSkipPhone(Payload, prefix="ag:skip"):
    pass


class CapacityNoLimit(Payload, prefix="cap:none"):
    pass


class PrivacyErase(Payload, prefix="privacy:erase"):
    pass


# ---- /newdemo and the day and time steps it shares ----


class NewDemoSkipPhone(Payload, prefix="nd:skip:phone"):
    pass


class NewDemoDuration(Payload, prefix="nd:dur"):
    minutes: int


class NewDemoSkipNotes(Payload, prefix="nd:skip:notes"):
    pass


class NewDemoSave(Payload, prefix="nd:save"):
    pass


class NewDemoCancel(Payload, prefix="nd:cancel"):
    pass


class WhenDay(Payload, prefix="when:day"):
    flow: Flow
    day: date


class WhenTime(Payload, prefix="when:at"):
    flow: Flow
    at: time


class WhenChangeDay(Payload, prefix="when:back"):
    flow: Flow


class WhenFold(Payload, prefix="when:fold"):
    """Which of the two identical times of the night the clocks go back: the first or the second."""

    flow: Flow
    fold: Literal[0, 1]


# ---- /order ----


class OrderAtDemo(Payload, prefix="od:demo"):
    demo_id: int


class OrderWithoutDemo(Payload, prefix="od:nodemo"):
    pass


class OrderForGuest(Payload, prefix="od:guest"):
    guest_id: int


class OrderGuestsPage(Payload, prefix="od:guests"):
    """The next page of the demo's guests to pick the customer from (the demo is in the draft)."""

    page: PageNumber


class OrderNewCustomer(Payload, prefix="od:new"):
    pass


class OrderOwnUse(Payload, prefix="od:own"):
    pass


class OrderSkipPhone(Payload, prefix="od:skipphone"):
    pass


class OrderProduct(Payload, prefix="od:prod"):
    product_id: int


class OrderQuantity(Payload, prefix="od:qty"):
    quantity: int


class OrderReview(Payload, prefix="od:review"):
    pass


class OrderUndo(Payload, prefix="od:undo"):
    pass


class OrderConfirm(Payload, prefix="od:confirm"):
    pass


class OrderDrop(Payload, prefix="od:drop"):
    pass


# ---- an order, afterwards ----


class OrderView(Payload, prefix="order:view"):
    order_id: int


class OrderHistory(Payload, prefix="order:hist"):
    order_id: int


class OrderWithdrawal(Payload, prefix="order:wd"):
    order_id: int


class WithdrawAll(Payload, prefix="wd:all"):
    pass


class WithdrawLine(Payload, prefix="wd:line"):
    line_id: int


class OrderCorrect(Payload, prefix="order:fix"):
    order_id: int


class CorrectLine(Payload, prefix="fix:line"):
    line_id: int


class OrderCancel(Payload, prefix="order:cancel"):
    order_id: int


class OrderBuyBack(Payload, prefix="order:buyback"):
    order_id: int


class BuyBackLine(Payload, prefix="bb:line"):
    line_id: int


class BuyBackRefund(Payload, prefix="bb:refund"):
    refund_minor: int


# ---- /team ----


class TeamPage(Payload, prefix="team:page"):
    page: PageNumber


class TeamFind(Payload, prefix="team:find"):
    """A page of the members whose name contains the words (/team anna)."""

    words: SearchText
    page: PageNumber


class TeamMember(Payload, prefix="team:member"):
    user_id: int


class TeamPromote(Payload, prefix="team:promote"):
    user_id: int


class TeamDeactivate(Payload, prefix="team:deactivate"):
    user_id: int


class TeamDeactivateConfirmed(Payload, prefix="team:deactivateyes"):
    user_id: int


# ---- /catalog ----


class CatalogPage(Payload, prefix="catalog:page"):
    page: PageNumber


# ---- the profile: /start and /settings ----


class ProfileLanguage(Payload, prefix="pf:lang"):
    locale: str  # checked against the supported languages where it is saved


class ProfileTimezone(Payload, prefix="pf:tz"):
    zone: str  # an IANA name, checked where it is saved


class ProfileTelegramName(Payload, prefix="pf:name:tg"):
    pass


class ProfileMenu(Payload, prefix="pf:menu"):
    choice: Literal["language", "timezone", "name"]


# ---- privacy: /forget, and an advisor erasing a guest at the guest's request ----


class ForgetConfirmed(Payload, prefix="forget:yes"):
    user_id: int  # the person who was asked: anyone else pressing it is refused


class ForgetKeep(Payload, prefix="forget:no"):
    pass


class DemoGuestErasure(Payload, prefix="demo:erasure"):
    demo_id: int


class GuestErase(Payload, prefix="guest:erase"):
    guest_id: int


class GuestEraseConfirmed(Payload, prefix="guest:eraseyes"):
    guest_id: int
