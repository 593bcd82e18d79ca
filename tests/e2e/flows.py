"""Steps that many stories share, done exactly as a person would do them in the chat."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.fakebot.harness import BotHarness, Person

# A Thursday morning. Europe/Rome springs forward on 2031-03-30 and falls back on 2031-10-26.
NOW = datetime(2031, 3, 20, 9, 0, tzinfo=UTC)


def link_payload(text: str, prefix: str) -> str:
    match = re.search(rf"start=({prefix}_[\w-]+)", text)
    assert match, f"no {prefix}_ link in {text!r}"
    return match.group(1)


async def onboard(
    person: Person, *, language: str = "English", timezone_label: str = "Europe/Rome", name: str | None = None
) -> None:
    await person.press(language)
    await person.press(timezone_label)
    if name:
        await person.send(name)
    else:
        await person.press("Use")


async def onboard_admin(admin: Person) -> None:
    await admin.send("/start")
    await onboard(admin)


async def invite_link(inviter: Person) -> str:
    events = await inviter.send("/invite")
    return link_payload(events[-1].text, "i")


async def new_reseller(
    bot: BotHarness, inviter: Person, first_name: str, *, language: str = "English", language_code: str = "en"
) -> Person:
    payload = await invite_link(inviter)
    reseller = bot.person(first_name, language_code=language_code)
    await reseller.send(f"/start {payload}")
    await onboard(reseller, language=language)
    return reseller


async def book_demo(
    reseller: Person,
    *,
    host: str = "Anna Bianchi",
    phone: str | None = "333 123 4567",
    address: str = "Via Garibaldi 12, Torino",
    day: str = "25/03/2031",
    at: str = "18:30",
    duration: str = "2 h",
    notes: str | None = None,
) -> list:
    """Runs /newdemo up to the summary and saves it; returns what the reseller saw on saving."""
    await reseller.send("/newdemo")
    await reseller.send(host)
    if phone:
        await reseller.send(phone)
    else:
        await reseller.press("Skip")
    await reseller.send(address)
    await reseller.send(day)
    await reseller.send(at)
    await reseller.press(duration)
    if notes:
        await reseller.send(notes)
    else:
        await reseller.press("Skip")
    return await reseller.press("Save")
