"""The fake Bot API server refuses what Telegram refuses, and accepts what it accepts.

Every call goes through python-telegram-bot's real Bot over HTTP, so each refusal is proven as
the bot would meet it: the exception PTB raises, with Telegram's description.
"""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden

from sandbox.botapi.server import FakeBotAPI

ANNA = {"id": 7001, "is_bot": False, "first_name": "Anna", "language_code": "it"}
TEAM = {"id": -100123, "type": "supergroup", "title": "Team"}
EMOJI = "😀"  # outside the Basic Multilingual Plane: two UTF-16 code units
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@pytest.fixture
async def api():
    server = FakeBotAPI()
    await server.start()
    server.meet(ANNA["id"])
    yield server
    await server.stop()


@pytest.fixture
async def bot(api):
    async with Bot(api.token, base_url=f"{api.url}/bot") as ptb:
        yield ptb


async def refused(call, description: str, error: type = BadRequest) -> None:
    """The call fails as PTB reports Telegram's `description` (PTB drops "Bad Request: " and
    capitalizes what is left)."""
    with pytest.raises(error) as caught:
        await call
    assert caught.value.message == error(description).message


def keyboard(*rows: int, data: str = "x") -> InlineKeyboardMarkup:
    """An inline keyboard with rows of that many buttons."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"{r}.{b}", callback_data=data) for b in range(n)] for r, n in enumerate(rows)]
    )


def seen(api: FakeBotAPI, chat_id: int = ANNA["id"]):
    return api.chats[chat_id][-1]


# ---- 1. message text: 1..4096 UTF-16 code units after entity parsing ----


async def test_a_text_of_4096_characters_is_accepted_and_4097_refused(api, bot):
    await bot.send_message(ANNA["id"], "a" * 4096)
    assert len(seen(api).text) == 4096
    await refused(bot.send_message(ANNA["id"], "a" * 4097), "Bad Request: message is too long")


async def test_an_emoji_counts_as_two_utf16_units(api, bot):
    await bot.send_message(ANNA["id"], EMOJI * 2048)  # 2048 characters, 4096 units
    await refused(bot.send_message(ANNA["id"], "a" + EMOJI * 2048), "Bad Request: message is too long")
    await refused(bot.send_message(ANNA["id"], "é" * 4097), "Bad Request: message is too long")  # 2 bytes, 1 unit


async def test_an_empty_or_blank_text_is_refused(bot):
    await refused(bot.send_message(ANNA["id"], ""), "Bad Request: message text is empty")
    await refused(bot.send_message(ANNA["id"], " \n "), "Bad Request: message text is empty")
    await refused(bot.send_message(ANNA["id"], "<b></b>", parse_mode="HTML"), "Bad Request: message text is empty")


async def test_the_limit_counts_the_text_without_its_markup(api, bot):
    await bot.send_message(ANNA["id"], "<b>" + "a" * 4090 + "</b>&lt;&gt;&amp;&quot;&#33;x", parse_mode="HTML")
    assert len(seen(api).text) == 4096
    await refused(
        bot.send_message(ANNA["id"], "<i>" + "a" * 4097 + "</i>", parse_mode="HTML"), "Bad Request: message is too long"
    )
    await bot.send_message(ANNA["id"], "*" + "\\." * 4096 + "*", parse_mode="MarkdownV2")
    await refused(
        bot.send_message(ANNA["id"], "\\." * 4097, parse_mode="MarkdownV2"), "Bad Request: message is too long"
    )


async def test_an_edit_has_the_same_text_limits(bot):
    sent = await bot.send_message(ANNA["id"], "short")
    await refused(bot.edit_message_text("a" * 4097, ANNA["id"], sent.message_id), "Bad Request: message is too long")
    await refused(bot.edit_message_text(" ", ANNA["id"], sent.message_id), "Bad Request: message text is empty")
    await bot.edit_message_text("a" * 4096, ANNA["id"], sent.message_id)


# ---- 2. captions: at most 1024 after entity parsing ----


async def test_a_caption_of_1024_characters_is_accepted_and_1025_refused(api, bot):
    await bot.send_document(ANNA["id"], b"data", filename="a.csv", caption="c" * 1024)
    assert seen(api).text == "c" * 1024 and seen(api).document == b"data"
    await refused(
        bot.send_document(ANNA["id"], b"data", filename="a.csv", caption="c" * 1025),
        "Bad Request: message caption is too long",
    )
    await bot.send_photo(ANNA["id"], b"png", caption="<b>" + EMOJI * 512 + "</b>", parse_mode="HTML")
    assert seen(api).entities == [{"type": "bold", "offset": 0, "length": 1024}]
    await refused(
        bot.send_photo(ANNA["id"], b"png", caption=EMOJI * 512 + "!"), "Bad Request: message caption is too long"
    )


async def test_a_caption_with_malformed_markup_is_refused(bot):
    await refused(
        bot.send_document(ANNA["id"], b"x", filename="a.txt", caption="1.5", parse_mode="MarkdownV2"),
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    )


# ---- 3. keyboards ----


async def test_callback_data_of_64_bytes_is_accepted_and_65_refused(api, bot):
    await bot.send_message(ANNA["id"], "pick", reply_markup=keyboard(1, data="d" * 64))
    assert seen(api).buttons[0][0]["callback_data"] == "d" * 64
    await bot.send_message(ANNA["id"], "pick", reply_markup=keyboard(1, data="é" * 32))  # 64 bytes of UTF-8
    await refused(
        bot.send_message(ANNA["id"], "pick", reply_markup=keyboard(1, data="d" * 65)),
        "Bad Request: BUTTON_DATA_INVALID",
    )
    await refused(
        bot.send_message(ANNA["id"], "pick", reply_markup=keyboard(1, data="é" * 32 + "d")),
        "Bad Request: BUTTON_DATA_INVALID",
    )


async def test_a_button_needs_a_text_and_exactly_one_action(bot):
    def one(**fields):
        return InlineKeyboardMarkup([[InlineKeyboardButton(**fields)]])

    await refused(
        bot.send_message(ANNA["id"], "x", reply_markup=one(text="", callback_data="a")),
        "Bad Request: BUTTON_TEXT_INVALID",
    )
    await refused(
        bot.send_message(ANNA["id"], "x", reply_markup=one(text=" ", callback_data="a")),
        "Bad Request: BUTTON_TEXT_INVALID",
    )
    unallowed = "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    await refused(bot.send_message(ANNA["id"], "x", reply_markup=one(text="Go")), unallowed)
    await refused(
        bot.send_message(ANNA["id"], "x", reply_markup=one(text="Go", callback_data="")), unallowed
    )  # "" is no data
    with pytest.raises(BadRequest, match="exactly one"):
        await bot.send_message(
            ANNA["id"], "x", reply_markup=one(text="Go", callback_data="a", url="https://example.com")
        )
    await bot.send_message(ANNA["id"], "x", reply_markup=one(text="Site", url="https://example.com"))


async def test_eight_buttons_in_a_row_and_a_hundred_in_all_are_the_most(bot):
    too_long = "Bad Request: reply markup is too long"
    await bot.send_message(ANNA["id"], "x", reply_markup=keyboard(8))
    await refused(bot.send_message(ANNA["id"], "x", reply_markup=keyboard(9)), too_long)
    await bot.send_message(ANNA["id"], "x", reply_markup=keyboard(*[5] * 20))
    await refused(bot.send_message(ANNA["id"], "x", reply_markup=keyboard(*[5] * 20, 1)), too_long)
    sent = await bot.send_message(ANNA["id"], "x")
    await refused(bot.edit_message_text("y", ANNA["id"], sent.message_id, reply_markup=keyboard(9)), too_long)


async def test_reply_keyboards_their_removal_and_forced_replies_are_accepted_and_recorded(api, bot):
    await bot.send_message(
        ANNA["id"], "Choose", reply_markup=ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    )
    assert seen(api).markup["keyboard"] == [[{"text": "Yes"}, {"text": "No"}]] and seen(api).buttons == []
    assert api.keyboards[ANNA["id"]] == [[{"text": "Yes"}, {"text": "No"}]]  # it stays under the chat
    await bot.send_message(ANNA["id"], "Thanks", reply_markup=ReplyKeyboardRemove())
    assert seen(api).markup == {"remove_keyboard": True} and ANNA["id"] not in api.keyboards
    await bot.send_message(ANNA["id"], "Your name?", reply_markup=ForceReply(input_field_placeholder="Name"))
    assert seen(api).markup["force_reply"] is True


async def test_an_edit_takes_only_an_inline_keyboard(bot):
    sent = await bot.send_message(ANNA["id"], "x")
    await refused(
        bot.edit_message_text("y", ANNA["id"], sent.message_id, reply_markup=ReplyKeyboardMarkup([["A"]])),
        "Bad Request: inline keyboard expected",
    )


# ---- 4. answerCallbackQuery ----


async def pressed(api: FakeBotAPI, bot: Bot) -> str:
    sent = await bot.send_message(ANNA["id"], "pick", reply_markup=keyboard(1))
    return api.button_press(ANNA, sent.message_id, "x")["callback_query"]["id"]


async def test_an_answer_of_200_characters_is_accepted_and_201_refused(api, bot):
    query = await pressed(api, bot)
    await refused(bot.answer_callback_query(query, "a" * 201), "Bad Request: MESSAGE_TOO_LONG")
    await refused(bot.answer_callback_query(query, EMOJI * 101), "Bad Request: MESSAGE_TOO_LONG")
    await bot.answer_callback_query(query, "a" * 200, show_alert=True)  # a refused answer did not use the one answer
    assert (seen(api).kind, seen(api).text) == ("alert", "a" * 200)


async def test_a_second_answer_or_an_unknown_query_is_refused(api, bot):
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    query = await pressed(api, bot)
    await bot.answer_callback_query(query)
    await refused(bot.answer_callback_query(query), invalid)
    await refused(bot.answer_callback_query("0123456789abcdef"), invalid)


# ---- 5. edits that change nothing ----


async def test_an_edit_to_the_same_text_and_keyboard_is_refused(api, bot):
    sent = await bot.send_message(ANNA["id"], "Hello", reply_markup=keyboard(2))
    await refused(bot.edit_message_text("Hello", ANNA["id"], sent.message_id, reply_markup=keyboard(2)), NOT_MODIFIED)
    await bot.edit_message_text("Hello", ANNA["id"], sent.message_id, reply_markup=keyboard(3))
    await bot.edit_message_text("Hello", ANNA["id"], sent.message_id)  # no keyboard: the keyboard goes
    assert seen(api).buttons == []
    await refused(bot.edit_message_text("Hello", ANNA["id"], sent.message_id), NOT_MODIFIED)
    await bot.edit_message_text(
        "<b>Hello</b>", ANNA["id"], sent.message_id, parse_mode="HTML"
    )  # the formatting changed
    await refused(bot.edit_message_text("*Hello*", ANNA["id"], sent.message_id, parse_mode="MarkdownV2"), NOT_MODIFIED)
    await refused(
        bot.edit_message_text("Hi", ANNA["id"], sent.message_id + 99), "Bad Request: message to edit not found"
    )


async def test_editing_only_the_keyboard_follows_the_same_rule(api, bot):
    sent = await bot.send_message(ANNA["id"], "Hello", reply_markup=keyboard(2))
    await refused(bot.edit_message_reply_markup(ANNA["id"], sent.message_id, reply_markup=keyboard(2)), NOT_MODIFIED)
    edited = await bot.edit_message_reply_markup(ANNA["id"], sent.message_id, reply_markup=keyboard(1))
    assert edited.text == "Hello" and (seen(api).kind, len(seen(api).buttons[0])) == ("edit", 1)
    await bot.edit_message_reply_markup(ANNA["id"], sent.message_id)
    await refused(bot.edit_message_reply_markup(ANNA["id"], sent.message_id), NOT_MODIFIED)
    await refused(
        bot.edit_message_reply_markup(ANNA["id"], sent.message_id, reply_markup=keyboard(1, data="d" * 65)),
        "Bad Request: BUTTON_DATA_INVALID",
    )


# ---- 6. parse_mode ----


async def test_html_becomes_plain_text_with_entities(api, bot):
    await bot.send_message(
        ANNA["id"],
        f'{EMOJI} <b>bold</b> <a href="https://example.com/?a=1&amp;b=2">link</a> '
        '<span class="tg-spoiler">s</span> <pre><code class="language-py">x = 1</code></pre> 1 &lt; 2',
        parse_mode="HTML",
    )
    assert seen(api).text == f"{EMOJI} bold link s x = 1 1 < 2"
    assert seen(api).entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "url": "https://example.com/?a=1&b=2", "offset": 8, "length": 4},
        {"type": "spoiler", "offset": 13, "length": 1},
        {"type": "pre", "language": "py", "offset": 15, "length": 5},
    ]


@pytest.mark.parametrize(
    "html, problem",
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é <br/>", 'Unsupported start tag "br/" at byte offset 3'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<!-- note -->x", 'Unsupported start tag "!--" at byte offset 0'),
    ],
)
async def test_malformed_html_is_refused(bot, html, problem):
    await refused(
        bot.send_message(ANNA["id"], html, parse_mode="HTML"), f"Bad Request: can't parse entities: {problem}"
    )


async def test_markdown_v2_becomes_plain_text_with_entities(api, bot):
    await bot.send_message(
        ANNA["id"],
        "*b* _i_ __u__ ~s~ ||p|| `c.d` [l](https://example.com) 1\\.5\\! \\(x\\) a\\-b",
        parse_mode="MarkdownV2",
    )
    assert seen(api).text == "b i u s p c.d l 1.5! (x) a-b"
    assert [e["type"] for e in seen(api).entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]


@pytest.mark.parametrize("char", list(".!-()#+=|{}>"))
async def test_an_unescaped_reserved_markdown_v2_character_is_refused(bot, char):
    await refused(
        bot.send_message(ANNA["id"], f"Total{char}", parse_mode="MarkdownV2"),
        f"Bad Request: can't parse entities: Character '{char}' is reserved and must be escaped with the "
        "preceding '\\'",
    )


async def test_an_unclosed_markdown_entity_is_refused(bot):
    await refused(
        bot.send_message(ANNA["id"], "é *bold", parse_mode="MarkdownV2"),
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 3",
    )
    await refused(
        bot.send_message(ANNA["id"], "[x](https://example.com", parse_mode="MarkdownV2"),
        "Bad Request: can't parse entities: Can't find end of a URL at byte offset 4",
    )
    await refused(
        bot.send_message(ANNA["id"], "a _b", parse_mode="Markdown"),
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 2",
    )
    await bot.send_message(ANNA["id"], "1.5 - (ok) *b*", parse_mode="Markdown")  # legacy Markdown reserves only _*`[


async def test_the_descriptions_are_telegrams_word_for_word(api):
    form = {"chat_id": str(ANNA["id"]), "text": "Hi.", "parse_mode": "MarkdownV2"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.url}/bot{api.token}/sendMessage", data=form) as response,
    ):
        answer = await response.json()
    assert response.status == 400 and answer == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'",
    }


async def test_an_unknown_parse_mode_is_refused(bot):
    await refused(bot.send_message(ANNA["id"], "x", parse_mode="Textile"), "Bad Request: unsupported parse_mode")


# ---- 7, 8. chats that exist ----


async def test_a_chat_nobody_opened_is_not_found(api, bot):
    stranger = 7999
    await refused(bot.send_message(stranger, "Hello"), "Bad Request: chat not found")
    await refused(bot.send_document(stranger, b"x", filename="a.txt"), "Bad Request: chat not found")
    await refused(
        bot.set_my_commands([("start", "Start")], scope=BotCommandScopeChat(stranger)), "Bad Request: chat not found"
    )
    await refused(bot.send_message("@homedemo_news", "Hello"), "Bad Request: chat not found")
    assert stranger not in api.chats
    api.meet(stranger)
    await bot.send_message(stranger, "Hello")


async def test_a_chat_exists_once_its_user_sends_anything(api, bot):
    luca = {"id": 7002, "is_bot": False, "first_name": "Luca"}
    update = api.user_message(luca, "/start")
    await refused(bot.send_message(luca["id"], "Welcome"), "Bad Request: chat not found")  # written, not yet sent
    await api.push(update)
    await bot.send_message(luca["id"], "Welcome")
    sara = {"id": 7003, "is_bot": False, "first_name": "Sara"}
    await api.push(
        {
            "my_chat_member": {
                "chat": {"id": sara["id"], "type": "private", "first_name": "Sara"},
                "from": sara,
                "date": 0,
                "old_chat_member": {"status": "left", "user": api.bot_user},
                "new_chat_member": {"status": "member", "user": api.bot_user},
            }
        }
    )
    await bot.send_message(sara["id"], "Welcome")


async def test_a_group_exists_once_someone_writes_there(api, bot):
    await refused(bot.send_message(TEAM["id"], "Hello team"), "Bad Request: chat not found")
    update = api.user_message(ANNA, "/help", chat=TEAM)
    assert update["message"]["chat"] == TEAM and update["message"]["from"] == ANNA
    await api.push(update)
    sent = await bot.send_message(TEAM["id"], "Hello team", reply_markup=keyboard(1))
    assert (sent.chat.type, sent.chat.title) == ("supergroup", "Team") and seen(api, TEAM["id"]).text == "Hello team"
    press = api.button_press(ANNA, sent.message_id, "x", chat=TEAM)
    assert press["callback_query"]["message"]["chat"]["id"] == TEAM["id"]


async def test_a_user_who_blocked_the_bot_answers_403(api, bot):
    api.blocked.add(ANNA["id"])
    await refused(bot.send_message(ANNA["id"], "Hello"), "Forbidden: bot was blocked by the user", Forbidden)


# ---- 9. command menus ----


async def test_a_menu_takes_at_most_100_valid_commands(api, bot):
    await bot.set_my_commands([(f"c{n}", "d") for n in range(100)])
    await refused(bot.set_my_commands([(f"c{n}", "d") for n in range(101)]), "Bad Request: BOT_COMMANDS_TOO_MUCH")
    await bot.set_my_commands([("a" * 32, "d" * 256), ("new_demo2", "é")])
    for name in ("", "a" * 33, "Start", "/start", "new-demo", "démo"):
        await refused(bot.set_my_commands([BotCommand(name, "Does things")]), "Bad Request: BOT_COMMAND_INVALID")
    for description in ("", "  ", "d" * 257):
        await refused(
            bot.set_my_commands([BotCommand("start", description)]), "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
        )
    assert [c["command"] for c in default_menu(api)] == ["a" * 32, "new_demo2"]  # the refused ones changed nothing


def default_menu(api: FakeBotAPI) -> list[dict]:
    return api.commands[('{"type": "default"}', "")]


async def test_menus_are_read_and_deleted_per_scope_and_language(api, bot):
    await bot.set_my_commands([("start", "Start")])
    await bot.set_my_commands([("start", "Inizia"), ("help", "Aiuto")], language_code="it")
    await bot.set_my_commands([("newdemo", "New demo")], scope=BotCommandScopeChat(ANNA["id"]))
    assert [c.description for c in await bot.get_my_commands(language_code="it")] == ["Inizia", "Aiuto"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(ANNA["id"]))] == ["newdemo"]
    assert await bot.get_my_commands(language_code="en") == ()
    await bot.delete_my_commands(language_code="it")
    assert await bot.get_my_commands(language_code="it") == ()
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
