"""A whole party played through the sandbox's page in a real browser (Debian's Chromium, driven
by Playwright): the advisor books, the host confirms from the deep link, two guests sign up,
one order, then the clock moves to the reminders and to Monday's digest. Each chat is checked
for what its person sees, and the README's screenshots are taken on the way."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import Settings
from sandbox.runner import Options, Sandbox
from sandbox.world import ADVISOR, GUESTS, HOST, MANAGER

playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")

ROOT = Path(__file__).resolve().parent.parent
README_SCREENSHOTS = ROOT / "docs" / "screenshots"  # rewritten with UPDATE_SCREENSHOTS=1
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
# A Thursday in May (no clock change nearby): the party is on Saturday the 17th.
START = datetime.fromisoformat("2031-05-15T10:00:00+02:00")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (.ci/run installs Debian's chromium package)"),
    pytest.mark.timeout(180),
]

ADA, BEA = GUESTS


class Page:
    """The sandbox page, and each person's chat on it."""

    def __init__(self, page, screenshots: Path) -> None:
        self.page = page
        self.screenshots = screenshots

    def chat(self, person_id: int):
        return self.page.locator(f'.chat[data-person="{person_id}"]')

    async def settled(self, person_id: int) -> None:
        """Until the bot has answered everything this person sent (the page's "typing…")."""
        await self.page.locator(f'.chat[data-person="{person_id}"][data-busy="0"]').wait_for()

    async def say(self, person_id: int, text: str) -> None:
        field = self.chat(person_id).locator('input[name="text"]')
        await field.fill(text)
        await field.press("Enter")
        await self.settled(person_id)

    async def press(self, person_id: int, label: str) -> None:
        await self.chat(person_id).locator(".inline button", has_text=label).last.click()
        await self.settled(person_id)

    async def open_link(self, from_id: int, prefix: str, as_id: int) -> None:
        """Clicks the newest deep link of that kind in one chat and opens it as someone else."""
        await self.chat(from_id).locator(f'a.deeplink[data-payload^="{prefix}"]').last.click()
        await self.page.locator(f'#link-people button[data-person="{as_id}"]').click()
        await self.settled(as_id)

    async def sees(self, person_id: int, text: str) -> None:
        await self.chat(person_id).locator(".msg", has_text=text).last.wait_for()

    async def move_clock(self, label: str) -> None:
        await self.page.get_by_role("button", name=label).click()
        await self.page.wait_for_function("!document.querySelector('[data-move]').disabled")

    async def shoot(self, name: str) -> None:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(self.screenshots / name))


async def test_a_whole_party_played_in_the_browser(capsys, tmp_path):
    started = time.monotonic()
    screenshots = README_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    sandbox = Sandbox(Settings(_env_file=None), Options(port=0, start=START))
    await sandbox.start()
    try:
        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = await browser.new_page(viewport={"width": 1840, "height": 980})
            page.set_default_timeout(10_000)
            await page.goto(sandbox.url)
            await page.locator('body[data-ready="yes"]').wait_for()
            await play_the_party(Page(page, screenshots))
            await browser.close()
    finally:
        await sandbox.stop()
    with capsys.disabled():
        print(f"\nthe party in the browser took {time.monotonic() - started:.1f} s; screenshots in {screenshots}")


async def play_the_party(ui: Page) -> None:
    page = ui.page
    # The seeded world: Marta's demo next week with Anna, whose host has not confirmed yet.
    await ui.chat(ADVISOR.id).locator(".menu-button").click()  # the command menu, as set for an advisor
    await ui.chat(ADVISOR.id).locator(".menu button", has_text="/demos").click()
    await ui.settled(ADVISOR.id)
    await ui.sees(ADVISOR.id, "Your upcoming demos (1)")
    assert "Anna Bianchi · ⏳" in await ui.chat(ADVISOR.id).locator(".inline button").last.inner_text()

    # Someone new at the table, who will host the party; Anna's chat is put away.
    await page.locator('#add-person input[name="name"]').fill("Rosa")
    await page.locator("#add-person button").click()
    rosa = ui.chat(3001)
    await rosa.wait_for()
    await page.locator(f'#people label[data-person="{HOST.id}"] input').uncheck()

    # The advisor books Saturday's party.
    for text in ("/newdemo", "Rosa Neri", "333 765 4321", "Via Po 3, Torino", "17/05/2031", "18:30"):
        await ui.say(ADVISOR.id, text)
    await ui.press(ADVISOR.id, "2 h")
    await ui.press(ADVISOR.id, "Skip")
    await ui.press(ADVISOR.id, "Save")
    await ui.sees(ADVISOR.id, "Saved! The demo is waiting for the host's confirmation.")

    # Rosa opens the host link from Marta's chat, and confirms.
    await ui.open_link(ADVISOR.id, "h_", 3001)
    await ui.press(3001, "Confirm")
    await ui.sees(ADVISOR.id, "🎉 Rosa Neri confirmed the demo on")

    # Two guests sign up from the guest link Rosa received, one in English, one in Italian.
    await ui.open_link(3001, "g_", ADA.id)
    await ui.sees(ADA.id, "You are invited to a home demo at Rosa's!")
    for label in ("I agree", "Use", "Skip"):
        await ui.press(ADA.id, label)
    await ui.sees(ADA.id, "You are on the guest list, Ada!")
    await ui.open_link(3001, "g_", BEA.id)
    for label in ("Accetto", "Usa", "Salta"):
        await ui.press(BEA.id, label)
    await ui.sees(BEA.id, "Bea")

    # One order, for Ada, from the demo's page.
    await ui.say(ADVISOR.id, "/demos")
    await ui.press(ADVISOR.id, "Rosa Neri")
    await ui.press(ADVISOR.id, "New order")
    await ui.press(ADVISOR.id, "Ada")
    await ui.say(ADVISOR.id, "Varoma")
    await ui.say(ADVISOR.id, "1")
    await ui.press(ADVISOR.id, "Review order")
    await ui.press(ADVISOR.id, "Confirm order")
    await ui.sees(ADVISOR.id, "119,00")
    await ui.shoot("sandbox-party.png")

    # The clock moves to the day before: the reminders arrive, each in its reader's language.
    await ui.move_clock("To the next reminder")
    await ui.sees(ADVISOR.id, "⏰ Reminder: demo at Rosa Neri's")
    await ui.sees(3001, "⏰ Tomorrow is your demo with Marta")
    await ui.sees(ADA.id, "⏰ See you at the demo at")
    assert "I can't come" in await ui.chat(ADA.id).locator(".inline").last.inner_text()
    await ui.sees(BEA.id, "⏰")
    assert "16 May 2031" in await page.locator("#now").inner_text()
    await ui.shoot("sandbox-reminder.png")

    # Monday 08:00: the week in figures for Marta, the team's with its chart for Giulia.
    await ui.move_clock("To Monday 08:00")
    await ui.sees(ADVISOR.id, "📊 Your week from 12 May to 18 May")
    await ui.sees(ADVISOR.id, "Sales: 119,00")
    await ui.sees(MANAGER.id, "La settimana del tuo team dal 12 mag")
    manager = ui.chat(MANAGER.id)
    assert await manager.locator(".msg img").count() >= 1  # the chart
    csv_link = manager.locator(".file a").last
    assert (await csv_link.get_attribute("download")).endswith(".csv")
    assert "19 May 2031, 08:0" in await page.locator("#now").inner_text()
    await ui.shoot("sandbox-digest.png")
