"""What the real Bot API refuses, for the fake server: text and caption lengths, reply markups,
callback answers and command menus. Each check raises BadRequest with Telegram's description
(without the "Bad Request: " prefix, which the server adds).

Lengths are counted as Telegram counts them, in UTF-16 code units (see entities.utf16_len), on
the text after parse_mode markup is removed and leading and trailing white space is trimmed.
"""

from __future__ import annotations

import json
import re

from sandbox.botapi.entities import ParseError, parse, utf16_len

TEXT_LIMIT = 4096  # sendMessage / editMessageText
CAPTION_LIMIT = 1024  # sendDocument / sendPhoto
ANSWER_LIMIT = 200  # answerCallbackQuery text
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
# Not in the Bot API documentation: the limits observed in practice for an inline keyboard.
BUTTONS_PER_ROW = 8
BUTTONS_IN_ALL = 100
COMMANDS_LIMIT = 100
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
DESCRIPTION_LIMIT = 256
# The fields that give an inline button its action; the documentation says exactly one is used.
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")


class BadRequest(Exception):
    """A 400 answer; str() is the description after "Bad Request: "."""


def formatted(params: dict, text_field: str) -> tuple[str, list[dict]]:
    """The plain text and entities of `text` or `caption`, parse_mode applied."""
    entities_field = "entities" if text_field == "text" else "caption_entities"
    try:
        return parse(str(params.get(text_field) or ""), params.get("parse_mode"), params.get(entities_field))
    except ParseError as error:
        raise BadRequest(f"can't parse entities: {error}") from None
    except ValueError as error:
        raise BadRequest(str(error)) from None


def check_text(text: str) -> None:
    shown = text.strip()
    if not shown:
        raise BadRequest("message text is empty")
    if utf16_len(shown) > TEXT_LIMIT:
        raise BadRequest("message is too long")


def check_caption(caption: str) -> None:
    if utf16_len(caption.strip()) > CAPTION_LIMIT:
        raise BadRequest("message caption is too long")


def check_answer(text: str | None) -> None:
    if text and utf16_len(text) > ANSWER_LIMIT:
        raise BadRequest("MESSAGE_TOO_LONG")


def check_markup(markup: dict | None, *, inline_only: bool = False) -> None:
    """Any reply markup for a send; only an inline keyboard for an edit."""
    if not markup:
        return
    if not isinstance(markup, dict) or not any(kind in markup for kind in MARKUP_KINDS):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise BadRequest("inline keyboard expected")
        return  # a reply keyboard, its removal or a forced reply: accepted as sent
    rows = markup["inline_keyboard"]
    if any(len(row) > BUTTONS_PER_ROW for row in rows) or sum(len(row) for row in rows) > BUTTONS_IN_ALL:
        raise BadRequest("reply markup is too long")
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: dict) -> None:
    if not str(button.get("text") or "").strip():
        raise BadRequest("BUTTON_TEXT_INVALID")
    # The Bot API reads an empty string as an absent field, so callback_data "" is no action.
    actions = [field for field in BUTTON_ACTIONS if button.get(field) not in (None, "")]
    if not actions:
        raise BadRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        # The documentation's rule; the wording is this fake's, to say which rule it is.
        raise BadRequest(
            f"can't parse inline keyboard button: exactly one of the optional fields must be used, not "
            f"{' and '.join(actions)}"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        raise BadRequest("BUTTON_DATA_INVALID")


def inline_keyboard(markup: dict | None) -> list[list[dict]]:
    return (markup or {}).get("inline_keyboard") or []


def same_keyboard(a: list[list[dict]], b: list[list[dict]]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def check_commands(commands: list[dict]) -> None:
    if len(commands) > COMMANDS_LIMIT:
        raise BadRequest("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not COMMAND.fullmatch(str(command.get("command", ""))):
            raise BadRequest("BOT_COMMAND_INVALID")
        if not 1 <= utf16_len(str(command.get("description", "")).strip()) <= DESCRIPTION_LIMIT:
            raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")


WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_webhook(params: dict) -> None:
    """https://core.telegram.org/bots/api#setwebhook"""
    if not str(params.get("url", "")).startswith("https://"):
        raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
    if "secret_token" in params and not WEBHOOK_SECRET.fullmatch(str(params["secret_token"])):
        raise BadRequest("bad webhook: secret token contains unallowed characters")
