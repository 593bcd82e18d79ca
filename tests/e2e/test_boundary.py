"""One update, one boundary: the sender's language, one transaction, replies after the commit,
concurrency between people and order within one person."""

import asyncio
import logging
import time

import pytest
from sqlalchemy import func, select
from telegram.ext import ExtBot

from bot import scheduling
from bot.persistence import DatabasePersistence
from bot.ratelimit import PriorityRateLimiter
from models import demos
from models.botstate import HandledUpdate
from models.demos import Demo
from models.notifications import Notification
from tests.e2e.flows import book_demo, link_payload
from tests.fakebot.harness import ADMIN_ID


async def count(bot, model, *where) -> int:
    async with bot.db.session_scope() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def test_errors_reach_each_sender_in_their_own_language_as_they_alternate(bot, reseller):
    gino = bot.person("Gino", language_code="it")  # a stranger: no user row, Telegram says Italian
    for _round in range(3):
        refused = await gino.send("/newdemo")
        assert refused[-1].text.startswith("Questa funzione è per chi fa consulenza con HomeDemo.")
        await reseller.send("/demos")
        forged = await reseller.press_data(reseller.last_message_id(), "demo:view:999999")
        assert forged[-1].kind == "alert" and forged[-1].text == "This demo is not available to you."
        stale = await gino.press_data(gino.last_message_id(), "demo:view:1")
        assert stale[-1].kind == "alert" and stale[-1].text.startswith("Questa funzione è per chi fa consulenza")
        gone = await gino.press_data(gino.last_message_id(), "nothing:we:know")
        assert gone[-1].text == "Questo pulsante non è più attivo."


async def test_each_update_is_stamped_when_it_begins_so_the_loop_serves_it_in_turn(bot, reseller, monkeypatch):
    """The boundary stamps each update with the time it began (bot.scheduling serves the ready work
    oldest first by that stamp): inside the handler, every update has its own, in the order sent."""
    stamps: list[float | None] = []
    listing = demos.upcoming_demos

    async def stamped(*args, **kwargs):
        stamps.append(scheduling.arrival())
        return await listing(*args, **kwargs)

    monkeypatch.setattr(demos, "upcoming_demos", stamped)
    assert scheduling.arrival() is None  # the test itself is no update
    for _ in range(3):
        before = time.monotonic()
        replies = await reseller.send("/demos")
        assert replies[-1].text == "You have no upcoming demos. Schedule one with /newdemo."
        assert stamps[-1] is not None and before <= stamps[-1] <= time.monotonic()
    assert len(stamps) == 3 and stamps == sorted(stamps) and len(set(stamps)) == 3


async def test_a_failed_update_says_nothing_was_saved_in_the_senders_language_and_saves_nothing(
    bot, reseller, monkeypatch
):
    await reseller.send("/settings")
    await reseller.press("Change language")
    await reseller.press("Italiano")
    boom = RuntimeError("the disk is full")

    async def failing(*args, **kwargs):
        raise boom

    monkeypatch.setattr("models.demos.schedule_demo", failing)
    await book_demo_until_summary(reseller)
    told = await reseller.press("Salva")
    assert told[-1].text.startswith("Scusa, qualcosa è andato storto da parte nostra. Non è stato salvato")
    assert await count(bot, Demo) == 0


async def test_a_telegram_call_inside_a_database_transaction_is_refused(bot):
    limiter = PriorityRateLimiter()
    api_bot = ExtBot(bot.api.token, base_url=f"{bot.api.url}/bot", rate_limiter=limiter)
    bot.api.meet(ADMIN_ID)
    async with api_bot:
        async with bot.db.session_scope():
            with pytest.raises(RuntimeError, match="inside a database transaction"):
                await api_bot.send_message(ADMIN_ID, "hello")
        await api_bot.send_message(ADMIN_ID, "hello")  # outside it goes
    assert bot.api.chats[ADMIN_ID][-1].text == "hello"


async def test_a_stalled_reply_to_one_person_delays_nobody_else_and_holds_no_lock(bot, reseller, admin):
    """The reseller's Telegram call hangs while she looks at a demo; the host confirms that very
    demo and the admin gets help, both at once."""
    saved = await book_demo(reseller)
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {link_payload(saved[-2].text, 'h')}")
    await reseller.send("/demos")
    message_id, data = reseller.last_with_button("Anna Bianchi")
    bot.auto_dispatch = False  # the confirmation for her would wait on her stalled chat too
    bot.api.stalled[reseller.id] = asyncio.Event()  # shorter than PTB's 5 s timeout, as used here
    stalled = await bot.api.push(bot.api.button_press(reseller.user, message_id, data))
    confirmed = await asyncio.wait_for(anna.press("Confirm"), 2)
    assert any("the demo is confirmed" in e.text for e in confirmed)
    helped = await asyncio.wait_for(admin.send("/help"), 2)
    assert helped[-1].text.startswith("Here is what you can do")
    assert not bot.processor._event(stalled).is_set()  # hers is still waiting for Telegram
    bot.api.stalled.pop(reseller.id).set()
    await bot.processor.wait(stalled)
    assert reseller.chat[-1].kind == "edit" and "Anna Bianchi, Via Garibaldi 12, Torino" in reseller.chat[-1].text


async def test_looking_at_a_demo_does_not_wait_for_a_change_in_progress_but_a_change_does(bot, reseller):
    """Someone else's change of the demo is half-way (it holds the demo's row): the reseller's
    view of it answers at once, from what is committed, while the host's confirmation of that
    same demo waits for the change to end."""
    if bot.db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite every update takes the one writer's turn: measured faster than readers beside it")
    saved = await book_demo(reseller)
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {link_payload(saved[-2].text, 'h')}")
    await reseller.send("/demos")
    message_id, data = reseller.last_with_button("Anna Bianchi")
    held, release = asyncio.Event(), asyncio.Event()

    async def change_in_progress() -> None:
        async with bot.db.session_scope() as s:
            demo = await s.scalar(select(Demo).with_for_update())
            demo.notes = "changed meanwhile"
            await s.flush()
            held.set()
            await release.wait()

    bot.auto_dispatch = False  # the test's outbox run after each update would be a change too
    changing = asyncio.create_task(change_in_progress())
    await held.wait()
    try:
        shown = await asyncio.wait_for(reseller.press_data(message_id, data), 5)
        assert "Anna Bianchi, Via Garibaldi 12, Torino" in shown[-1].text
        assert "changed meanwhile" not in shown[-1].text
        confirming = asyncio.create_task(anna.press("Confirm"))
        await asyncio.sleep(0.3)
        assert not confirming.done()  # a change queues behind the change in progress
    finally:
        release.set()
        await changing
    assert any("the demo is confirmed" in e.text for e in await asyncio.wait_for(confirming, 5))


async def test_an_update_that_only_reads_records_nothing_and_one_that_writes_its_id(bot, reseller):
    """An update Telegram delivers again must not change anything twice: one that writes records
    its id with its change. One that only reads has nothing to protect and, on PostgreSQL, writes
    nothing."""
    before = await count(bot, HandledUpdate)
    await reseller.send("/demos")
    await reseller.send("/help")
    reads = 0 if bot.db.engine.dialect.name == "postgresql" else 2  # SQLite: all in the writer's turn
    assert await count(bot, HandledUpdate) == before + reads
    await reseller.send("/newdemo")  # the flow's first step: its state is written
    assert await count(bot, HandledUpdate) == before + reads + 1


async def test_one_persons_quick_messages_are_applied_in_the_order_sent(bot, reseller):
    answers = [
        "/newdemo",
        "Anna Rossi",
        "333 123 4567",
        "Via Roma 1, Torino",
        "25/03/2031",
        "18:30",
        "1:30",
        "Bring the mixer",
    ]
    ids = [await bot.api.push(bot.api.user_message(reseller.user, text)) for text in answers]  # all at once, no waiting
    for update_id in ids:
        await bot.processor.wait(update_id)
    summary = reseller.received()[-1].text
    assert summary.startswith("Please check the demo:")
    assert "Anna Rossi, Via Roma 1, Torino" in summary and "Bring the mixer" in summary and "1 h 30 min" in summary
    await reseller.press("Save")
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert (demo.host_name, demo.duration_minutes, demo.notes) == ("Anna Rossi", 90, "Bring the mixer")


async def test_a_crash_between_the_change_and_the_conversation_step_applies_neither(bot, reseller, monkeypatch):
    """The state is written in the change's own transaction: a failure there undoes both, and
    after a restart the person is still at the step they were at, pressing Save once more."""
    real = DatabasePersistence.write_staged
    crashes = []

    async def crash_once(self, session, **kwargs):
        await real(self, session, **kwargs)
        if not crashes:
            crashes.append(True)
            raise ConnectionError("the process died here")

    await book_demo_until_summary(reseller)
    monkeypatch.setattr(DatabasePersistence, "write_staged", crash_once)
    failed = await reseller.press("Save")
    assert "Nothing was saved" in failed[-1].text
    assert await count(bot, Demo) == 0
    await bot.restart()
    saved = await reseller.press("Save")
    assert "Saved! The demo is waiting for the host's confirmation." in [e.text for e in saved]
    assert await count(bot, Demo) == 1
    again = await reseller.press_data(reseller.last_with_button("Save")[0], reseller.last_with_button("Save")[1])
    assert again[-1].text == "This button is no longer active."
    assert await count(bot, Demo) == 1


async def book_demo_until_summary(reseller):
    for text in (
        "/newdemo",
        "Anna Bianchi",
        "333 123 4567",
        "Via Garibaldi 12, Torino",
        "25/03/2031",
        "18:30",
        "2",
        "Bring the blender",
    ):
        await reseller.send(text)


async def test_messages_to_other_people_are_outbox_rows_of_the_same_transaction(bot, reseller):
    bot.auto_dispatch = False
    saved = await book_demo(reseller)
    anna = bot.person("Anna", language_code="en")
    await anna.send(f"/start {link_payload(saved[-2].text, 'h')}")
    reseller.received()
    await anna.press("Confirm")
    assert reseller.received() == []  # nothing sent from inside the host's update
    assert await count(bot, Notification, Notification.kind == "host_confirmed", Notification.status == "pending") == 1
    await bot.app.bot_data["dispatcher"].run_until_idle()
    told = reseller.received()
    assert any("Anna Bianchi confirmed the demo" in e.text for e in told)
    assert [e.kind for e in told].count("document") == 1  # the calendar file


async def test_text_with_control_and_invisible_characters_is_cleaned_or_refused(bot, reseller):
    await reseller.send("/newdemo")
    empty = await reseller.send("\u200b\u3164 \u2800")
    assert empty[-1].text == "Please type the host's name."
    await reseller.send("Anna\x00 Bian\u200bchi\x07")
    await reseller.press("Skip")
    await reseller.send("Via Roma\x00 1,\u202e Torino")
    await reseller.send("25/03/2031")
    await reseller.send("18:30")
    await reseller.press("2 h")
    await reseller.press("Skip")
    await reseller.press("Save")
    async with bot.db.session_scope() as s:
        demo = await s.scalar(select(Demo))
    assert (demo.host_name, demo.address) == ("Anna Bianchi", "Via Roma 1, Torino")


async def test_an_edited_message_mid_flow_is_answered_and_changes_nothing(bot, reseller):
    await reseller.send("/newdemo")
    sent = reseller.chat[-1]
    update = bot.api.user_message(reseller.user, "Anna Bianchi")
    update["edited_message"] = {**update.pop("message"), "edit_date": 1}
    await bot.deliver(update)
    told = reseller.received()
    assert told[-1].text.startswith("I saw that you edited a message.")
    still = await reseller.send("Anna Bianchi")  # the flow is still at the host's name
    assert still[-1].text.startswith("The host's phone number?")
    assert sent.text.endswith("What is the host's name?")


async def test_a_group_is_told_the_bot_works_in_private_and_nothing_is_stored(bot, admin):
    group = {"id": -100123, "type": "supergroup", "title": "Team"}
    stranger = bot.person("Piero", language_code="it")
    await bot.deliver(bot.api.user_message(stranger.user, "/start", chat=group))
    said = bot.api.chats[-100123][-1].text
    assert said.startswith("Lavoro solo in chat privata") and "@HomeDemoTestBot" in said
    async with bot.db.session_scope() as s:
        from models.users import User

        assert await s.scalar(select(User).where(User.telegram_id == stranger.id)) is None


async def test_updates_of_kinds_the_bot_does_not_use_are_ignored_without_error(bot, reseller, caplog):
    sticker = bot.api.user_message(reseller.user, "x")
    message = sticker["message"]
    message.pop("text")
    message["sticker"] = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    channel = {"id": -100999, "type": "channel", "title": "News"}
    post = {"channel_post": {"message_id": 1, "date": 1, "chat": channel, "text": "hello"}}
    bot.api.meet(channel)
    with caplog.at_level(logging.ERROR):
        await bot.deliver(sticker)
        await bot.deliver(post)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    helped = await reseller.send("/help")
    assert helped[-1].text.startswith("Here is what you can do")


async def test_an_edit_that_would_change_nothing_is_not_sent(bot, reseller):
    await book_demo(reseller)
    await reseller.send("/demos")
    message_id, data = reseller.last_with_button("Anna Bianchi")
    await reseller.press_data(message_id, data)
    calls = len(bot.api.calls)
    again = await reseller.press_data(message_id, data)  # the same button on the same message: same content
    assert [method for method, _p in bot.api.calls[calls:] if method != "getUpdates"] == ["answerCallbackQuery"]
    assert again == []  # Telegram would have refused the edit ("message is not modified")
