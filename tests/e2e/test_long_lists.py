"""Nothing Telegram would refuse: lists of hundreds or thousands page, every item stays
reachable, and no message the bot sends is over 4,096 characters (the fake server refuses more,
so a refused send would fail these tests too)."""

import random

from sqlalchemy import select, update

from models import team
from models.demos import Demo
from models.guests import Guest
from models.users import Role, User
from sandbox.botapi.entities import utf16_len
from tests.e2e.test_party_story import DURING_THE_PARTY, party
from tests.factories import make_guests, make_own_use_orders, make_products, make_team

LIMIT = 4096


def longest_sent(bot) -> int:
    return max(
        (utf16_len(e.text) for chat in bot.api.chats.values() for e in chat if e.kind in ("message", "edit")), default=0
    )


def last_keyboard(person) -> tuple[int, list[dict]]:
    """The newest message with buttons, and its buttons."""
    event = next(e for e in reversed(person.chat) if e.buttons)
    return event.message_id, [button for row in event.buttons for button in row]


def labels(person) -> list[str]:
    return [button["text"] for button in last_keyboard(person)[1]]


async def user_of(bot, person) -> User:
    async with bot.db.session_scope() as s:
        return await s.scalar(select(User).where(User.telegram_id == person.id))


async def test_a_500_guest_demo_pages_and_every_guest_can_be_checked_in(bot, reseller):
    anna, _payload = await party(bot, reseller)
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
        # The longest lines there can be: 64-character names, 32-character phones, not yet informed.
        await make_guests(
            s,
            demo=demo,
            count=500,
            name=lambda n: f"G{n:03d} {'Verylongsurname' * 5}"[:64],
            phone="+39 " + "3" * 28,
            informed=False,
        )

    await reseller.send("/demos")
    await reseller.press("Anna Bianchi")
    first = await reseller.press("Guests")
    assert (
        first[-1].kind == "edit"
        and "Guests of the demo at Anna Bianchi's. Coming: 500 · checked in: 0 · capacity: no limit." in first[-1].text
    )
    assert "1. G001" in first[-1].text and "21. G021" not in first[-1].text
    assert "1/25" in labels(reseller) and "☐ G020" in " ".join(labels(reseller))

    last = await reseller.press("»")
    assert last[-1].kind == "edit" and "500. G500" in last[-1].text and "25/25" in labels(reseller)
    checked = await reseller.press("☐ G500")
    assert checked[-1].kind == "edit"  # the same page, in place
    assert "Coming: 500 · checked in: 1" in checked[-1].text and "500. ☑ G500" in checked[-1].text
    assert "25/25" in labels(reseller) and any(label.startswith("☑ G500") for label in labels(reseller))
    async with bot.db.session_scope() as s:
        assert (await s.scalar(select(Guest).where(Guest.name.startswith("G500")))).checked_in_at is not None
        assert (
            await s.scalar(select(Guest).where(Guest.checked_in_at.is_not(None), ~Guest.name.startswith("G500")))
            is None
        )

    # Every guest has a check-in button on some page.
    await reseller.press("«")
    seen = set()
    for page in range(1, 26):
        _, buttons = last_keyboard(reseller)
        assert f"{page}/25" in [b["text"] for b in buttons]
        seen |= {b["callback_data"].split(":")[2] for b in buttons if b["callback_data"].startswith("guest:in:")}
        if page < 25:
            await reseller.press("›")
    assert len(seen) == 500

    # The host sees first names only, a page at a time, to the last guest.
    host_first = await anna.press("Guest list")
    assert host_first[-1].kind == "message" and host_first[-1].text.startswith("Guests so far:\nG001 · coming\n")
    host_last = await anna.press("»")
    assert host_last[-1].kind == "edit" and host_last[-1].text.endswith("\n☑ G500 · coming") and "25/25" in labels(anna)

    # Any of them can be the customer of an order at the party.
    bot.clock.set(DURING_THE_PARTY)
    await reseller.send("/order")
    await reseller.press("Anna Bianchi")
    assert "1/25" in labels(reseller) and "New customer" in " ".join(labels(reseller))
    await reseller.press("»")
    asked = await reseller.press("G500")
    assert asked[-1].text.startswith("Which product?")
    assert longest_sent(bot) <= LIMIT


async def test_a_300_product_catalog_pages_to_its_last_product(bot, reseller):
    async with bot.db.session_scope() as s:
        # The longest lines there can be: 32-character SKUs and 120-character names.
        await make_products(
            s,
            count=300,
            name=lambda n: f"Product {n:03d} {'with a very long name ' * 6}"[:120],
            sku=lambda n: f"SKU-{n:03d}-".ljust(32, "X"),
        )
    first = await reseller.send("/catalog")
    assert first[-1].text.startswith("Products (300):\nSKU-001-") and "Product 021" not in first[-1].text
    assert "1/15" in labels(reseller)
    last = await reseller.press("»")
    assert last[-1].kind == "edit" and "Product 300" in last[-1].text and "Product 280 " not in last[-1].text
    assert "15/15" in labels(reseller)
    assert longest_sent(bot) <= LIMIT


FIRST_NAMES = [
    "Anna",
    "Bruno",
    "Chiara",
    "Davide",
    "Elena",
    "Fabio",
    "Giulia",
    "Luca",
    "Marco",
    "Nadia",
    "Paolo",
    "Rita",
    "Sara",
    "Tommaso",
]
SURNAMES = ["Rossi", "Bianchi", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco"]


def a_big_tree(size: int) -> tuple[list[int], list[int]]:
    """Uplines for a team of `size` (ten people recruited by the root, each later one by someone
    among the forty before them, so branches run deep), and each member's depth."""
    rng = random.Random(2031)
    uplines = [0] * 10 + [rng.randint(n - 40 if n > 40 else 0, n - 1) for n in range(11, size + 1)]
    depth = [0]
    for upline in uplines:
        depth.append(depth[upline] + 1)
    return uplines, depth


async def test_a_2000_member_team_every_member_within_60_presses_and_found_by_name(bot, reseller):
    uplines, depth = a_big_tree(2000)
    deepest = max(range(1, 2001), key=lambda n: (depth[n], n))
    name = lambda n: "Nicolò Profondo" if n == deepest else f"{FIRST_NAMES[n % 14]} {SURNAMES[n // 14 % 8]} {n:04d}"  # noqa: E731
    marta = await user_of(bot, reseller)
    async with bot.db.session_scope() as s:
        await make_team(s, root=marta, uplines=uplines, name=name)
        order = [branch.name for branch in await team.outline(s, root=marta)]
    assert depth[deepest] > 40 and len(order) == 2000
    target_page = order.index("Nicolò Profondo") // 15

    shown = await reseller.send("/team")
    assert shown[-1].text.startswith("Your team: 2000 people. Page 1 of 134.\n1. ")
    assert "/team anna" in shown[-1].text
    presses = 0
    while True:
        message_id, buttons = last_keyboard(reseller)
        member = next((b for b in buttons if b["text"] == "Nicolò Profondo"), None)
        if member:
            break
        pages = [
            (int(b["callback_data"].rsplit(":", 1)[1]), b["callback_data"])
            for b in buttons
            if b["callback_data"].startswith("team:page:")
        ]
        _page, data = min(pages, key=lambda page: abs(page[0] - target_page))
        moved = await reseller.press_data(message_id, data)
        assert moved[-1].kind == "edit"
        presses += 1
        assert presses < 60
    seen = await reseller.press_data(message_id, member["callback_data"])
    presses += 1
    assert seen[-1].text.startswith("Nicolò Profondo\nThis month: sales")
    assert presses <= 12  # 134 pages: at most 11 presses to any of them (tests/test_paging.py), then the name

    found = await reseller.send("/team nicolo profondo")  # case and accents do not count
    assert found[-1].text.startswith(
        "1 person in your team matches “nicolo profondo”. Page 1 of 1.\n"
        + f"{depth[deepest]}. Nicolò Profondo · this week"
    )
    assert (await reseller.press("Nicolò Profondo"))[-1].text.startswith("Nicolò Profondo\n")

    rossi = sum(1 for n in range(1, 2001) if "Rossi" in name(n))
    many = await reseller.send("/team Rossi")
    assert many[-1].text.startswith(f"{rossi} people in your team match “Rossi”. Page 1 of {-(-rossi // 15)}.")
    last = await reseller.press("»")
    assert last[-1].kind == "edit" and f"Page {-(-rossi // 15)} of {-(-rossi // 15)}." in last[-1].text
    assert all("Rossi" in line for line in last[-1].text.split("\n")[1:])
    nobody = await reseller.send("/team Zebedeo")
    assert nobody[-1].text == "Nobody in your team matches “Zebedeo”."
    assert longest_sent(bot) <= LIMIT


async def test_compliance_with_300_flags_goes_as_several_messages_with_every_flag(bot, reseller):
    marta = await user_of(bot, reseller)
    long_name = lambda n: f"Consulente {n:03d} {'Cognomelungo' * 5}"[:64]  # noqa: E731
    async with bot.db.session_scope() as s:
        await s.execute(update(User).where(User.id == marta.id).values(role=Role.MANAGER))
        members = await make_team(s, root=marta, uplines=[0] * 150, name=long_name)
        await make_own_use_orders(s, resellers=members, at=bot.clock.now().replace(day=10))
    sent = await reseller.send("/compliance")
    assert len(sent) > 1 and all(e.kind == "message" and utf16_len(e.text) <= LIMIT for e in sent)
    text = "\n".join(e.text for e in sent)
    assert text.startswith("Warning signs in your team:\n")
    flags = [line for line in text.split("\n") if line.startswith("⚠️ ")]
    assert len(flags) == 300
    for n in range(1, 151):
        assert (
            sum(1 for line in flags if line.startswith(f"⚠️ {long_name(n)}:")) == 2
        )  # retail share and inventory loading
    assert longest_sent(bot) <= LIMIT
