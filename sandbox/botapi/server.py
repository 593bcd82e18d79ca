"""A fake Telegram Bot API server, spoken to over real HTTP by python-telegram-bot.

It keeps what a real server would: the updates users send, the messages the bot sends and
edits, answered button presses, files and command menus. Tests act as users by pushing
updates, and read what each user's chat shows.

It refuses what the real Bot API refuses (rules.py): over-long or empty texts, malformed
parse_mode markup (entities.py), invalid keyboards, unchanged edits, a second or unknown answer
to a button press, invalid command menus, and any chat that does not exist. A private chat
exists once its user has sent the bot something, or the test says so with meet().
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.botapi import rules
from sandbox.botapi.rules import BadRequest

SENDING = {"sendmessage", "senddocument", "sendphoto", "editmessagetext", "editmessagereplymarkup", "sendinvoice"}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
JSON_FIELDS = {
    "reply_markup",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "allowed_updates",
    "link_preview_options",
    "reply_parameters",
    "media",
    "prices",
}


@dataclass
class Event:
    """Something a user sees in their chat with the bot."""

    kind: str  # "message", "edit", "document", "photo", "alert", "toast"
    text: str
    message_id: int | None = None
    buttons: list[list[dict]] = field(default_factory=list)
    document: bytes | None = None
    filename: str | None = None
    entities: list[dict] = field(default_factory=list)  # of `text`, which is plain (parse_mode markup removed)
    markup: dict | None = None  # the reply_markup as sent: an inline or reply keyboard, its removal, a forced reply


class FakeBotAPI:
    longest: tuple[int, str] = (0, "")  # the longest text any bot sent in this test session, and its start

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        username: str = "HomeDemoTestBot",
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.clock = clock  # what messages are dated with: the sandbox moves it
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "HomeDemo",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.url = ""
        self.calls: list[tuple[str, dict]] = []
        self.chats: dict[int, list[Event]] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.blocked: set[int] = set()
        self.known_chats: dict[int, dict] = {}  # the chats that exist, by id (see meet)
        self.keyboards: dict[int, list[list]] = {}  # the reply keyboard each chat shows now
        self.webhook: dict | None = None  # setWebhook's parameters, as last set
        self._updates: list[dict] = []
        self._new_update = asyncio.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_owner: dict[str, int] = {}
        self._answered: set[str] = set()  # Telegram accepts one answer per button press
        self._checkouts: dict[str, dict] = {}  # pre-checkout query id -> the query, until answered
        self.checkout_answers: dict[str, dict] = {}  # pre-checkout query id -> the bot's answer
        self._runner: web.AppRunner | None = None
        # Telegram's limits, when a test asks for them: about 30 messages a second overall and
        # one a second in a chat; past them it answers 429 with retry_after.
        self.enforce_limits = False
        self.overall_per_second = 30
        self.per_chat_per_second = 1
        self._buckets: dict[object, list[float]] = {}  # key -> [tokens, last refill]
        self.too_many: list[tuple[int, float]] = []  # (chat, when) of each 429 answered
        self.delivered_at: list[tuple[int, float]] = []
        # chat id -> how many more sends to that chat fail with 502 (a flaky network)
        self.failures: dict[int, int] = {}
        # chat id -> an event: calls for that chat hang until it is set (a slow network for one user)
        self.stalled: dict[int, asyncio.Event] = {}
        # Who is told of each new thing a chat shows (the sandbox's page), and of menu changes.
        self.on_event: list[Callable[[int, Event], None]] = []
        self.on_menu: list[Callable[[], None]] = []

    # ---- the HTTP side, as python-telegram-bot sees it ----

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params, files = await self._params(request)
        method = request.match_info["method"]
        self.calls.append((method, params))
        handler = getattr(self, "api_" + method.lower(), None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        if any(self._chat(chat) is None for chat in _chat_ids(params)):
            return self._error(400, "Bad Request: chat not found")
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.stalled:
            await self.stalled[int(chat_id)].wait()
        if chat_id is not None and int(chat_id) in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if chat_id is not None and self.failures.get(int(chat_id)):
            self.failures[int(chat_id)] -= 1
            return self._error(502, "Bad Gateway")
        if method.lower() in SENDING and chat_id is not None:
            limited = self._over_limit(int(chat_id))
            if limited:
                return limited
        try:
            result = await handler(params, files)
        except (BadRequest, LookupError) as error:
            return self._error(400, f"Bad Request: {error}")
        if method.lower() in SENDING and chat_id is not None:
            self.delivered_at.append((int(chat_id), time.monotonic()))
        return web.json_response({"ok": True, "result": result})

    def _over_limit(self, chat_id: int) -> web.Response | None:
        """Token buckets, as Telegram behaves: a second's worth may come at once, then the rate."""
        if not self.enforce_limits:
            return None
        now = time.monotonic()
        overall = self._take(
            self._buckets.setdefault("all", [float(self.overall_per_second), now]), self.overall_per_second, now
        )
        in_chat = self._buckets.setdefault(chat_id, [float(self.per_chat_per_second), now])
        if not overall or not self._take(in_chat, self.per_chat_per_second, now):
            if overall:
                self._buckets["all"][0] += 1  # give back the overall token this send did not use
            self.too_many.append((chat_id, now))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        return None

    @staticmethod
    def _take(bucket: list[float], rate: float, now: float) -> bool:
        tokens, last = bucket
        tokens = min(float(rate), tokens + (now - last) * rate)
        bucket[1] = now
        if tokens < 1:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1
        return True

    @staticmethod
    def _error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)

    @staticmethod
    async def _params(request: web.Request) -> tuple[dict, dict]:
        params: dict = {}
        files: dict = {}
        if request.content_type == "application/json":
            return dict(await request.json()), files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        return params, files

    # ---- Bot API methods ----

    async def api_getme(self, params: dict, files: dict) -> dict:
        return self.bot_user

    async def api_deletewebhook(self, params: dict, files: dict) -> bool:
        self.webhook = None
        return True

    async def api_setwebhook(self, params: dict, files: dict) -> bool:
        """Recorded for the test, which then posts updates to the bot itself (the fake server
        calls nobody); refused as Telegram refuses a secret_token of the wrong shape."""
        rules.check_webhook(params)
        self.webhook = params
        return True

    async def api_setmycommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands") or []
        rules.check_commands(commands)
        self.commands[_menu(params)] = commands
        for listener in self.on_menu:
            listener()
        return True

    async def api_getmycommands(self, params: dict, files: dict) -> list[dict]:
        return self.commands.get(_menu(params), [])  # that scope and language only, as Telegram answers

    async def api_deletemycommands(self, params: dict, files: dict) -> bool:
        self.commands.pop(_menu(params), None)
        for listener in self.on_menu:
            listener()
        return True

    def menu_for(self, chat_id: int, language_code: str = "") -> list[dict]:
        """The command menu a private chat shows: the narrowest scope set, in the user's language
        before any language (https://core.telegram.org/bots/api#determining-list-of-commands)."""
        scopes = [{"type": "chat", "chat_id": chat_id}, {"type": "all_private_chats"}, {"type": "default"}]
        for scope in scopes:
            for language in (language_code, ""):
                commands = self.commands.get((json.dumps(scope, sort_keys=True), language))
                if commands:
                    return commands
        return []

    async def api_getupdates(self, params: dict, files: dict) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        async with self._new_update:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
            return list(self._updates[: int(params.get("limit", 100) or 100)])

    async def api_sendmessage(self, params: dict, files: dict) -> dict:
        chat_id = int(params["chat_id"])
        text, entities = rules.formatted(params, "text")
        rules.check_text(text)
        markup = params.get("reply_markup")
        rules.check_markup(markup)
        message = self._new_message(chat_id, text=text, entities=entities or None, reply_markup=_inline(markup))
        self._show(
            chat_id,
            Event(
                "message", text, message["message_id"], rules.inline_keyboard(markup), entities=entities, markup=markup
            ),
        )
        return message

    async def api_senddocument(self, params: dict, files: dict) -> dict:
        return await self._send_file(
            params,
            files,
            "document",
            lambda name, content: {
                "document": {
                    "file_id": f"file{len(self.calls)}",
                    "file_unique_id": f"u{len(self.calls)}",
                    "file_name": name,
                    "file_size": len(content),
                }
            },
        )

    async def api_sendphoto(self, params: dict, files: dict) -> dict:
        return await self._send_file(
            params,
            files,
            "photo",
            lambda name, content: {
                "photo": [
                    {
                        "file_id": f"p{len(self.calls)}",
                        "file_unique_id": f"pu{len(self.calls)}",
                        "width": 800,
                        "height": 400,
                    }
                ]
            },
        )

    async def _send_file(self, params: dict, files: dict, kind: str, describe) -> dict:
        chat_id = int(params["chat_id"])
        caption, entities = rules.formatted(params, "caption")
        rules.check_caption(caption)
        markup = params.get("reply_markup")
        rules.check_markup(markup)
        if kind not in files:
            raise BadRequest(f"there is no {kind} in the request")
        filename, content = files[kind]
        message = self._new_message(
            chat_id,
            caption=caption,
            caption_entities=entities or None,
            reply_markup=_inline(markup),
            **describe(filename, content),
        )
        self._show(
            chat_id,
            Event(
                kind,
                caption,
                message["message_id"],
                rules.inline_keyboard(markup),
                document=content,
                filename=filename,
                entities=entities,
                markup=markup,
            ),
        )
        return message

    async def api_editmessagetext(self, params: dict, files: dict) -> dict:
        chat_id, message = self._message_to_edit(params)
        text, entities = rules.formatted(params, "text")
        rules.check_text(text)
        markup = params.get("reply_markup")
        rules.check_markup(markup, inline_only=True)
        if "text" not in message:
            raise BadRequest("there is no text in the message to edit")
        keyboard = rules.inline_keyboard(markup)
        unchanged = rules.same_keyboard(keyboard, rules.inline_keyboard(message.get("reply_markup")))
        if unchanged and (text, entities) == (message["text"], message.get("entities", [])):
            raise BadRequest(NOT_MODIFIED)
        message["text"] = text
        _set(message, "entities", entities or None)
        _set(message, "reply_markup", _inline(markup))  # an edit without a keyboard removes it
        message["edit_date"] = int(self.clock())
        self._see(chat_id, Event("edit", text, message["message_id"], keyboard, entities=entities, markup=markup))
        return message

    async def api_editmessagereplymarkup(self, params: dict, files: dict) -> dict:
        chat_id, message = self._message_to_edit(params)
        markup = params.get("reply_markup")
        rules.check_markup(markup, inline_only=True)
        keyboard = rules.inline_keyboard(markup)
        if rules.same_keyboard(keyboard, rules.inline_keyboard(message.get("reply_markup"))):
            raise BadRequest(NOT_MODIFIED)
        _set(message, "reply_markup", _inline(markup))
        message["edit_date"] = int(self.clock())
        text_field = "text" if "text" in message else "caption"
        self._see(
            chat_id,
            Event(
                "edit",
                message.get(text_field, ""),
                message["message_id"],
                keyboard,
                entities=message.get("entities" if text_field == "text" else "caption_entities", []),
                markup=markup,
            ),
        )
        return message

    async def api_answercallbackquery(self, params: dict, files: dict) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._callback_owner or query_id in self._answered:  # Telegram accepts one answer
            raise BadRequest(QUERY_INVALID)
        text = params.get("text")
        rules.check_answer(text)
        self._answered.add(query_id)
        if text:
            user_id = self._callback_owner[query_id]
            alert = str(params.get("show_alert", "false")).lower() == "true"
            self._see(user_id, Event("alert" if alert else "toast", text))
        return True

    # ---- Telegram Payments (https://core.telegram.org/bots/api#payments) ----

    async def api_sendinvoice(self, params: dict, files: dict) -> dict:
        chat_id = int(params["chat_id"])
        rules.check_invoice(params)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": "",
            "currency": params["currency"],
            "total_amount": sum(int(p["amount"]) for p in params["prices"]),
        }
        message = self._new_message(chat_id, invoice=invoice)
        event = Event("invoice", params["title"], message["message_id"], markup={"invoice": params})
        self._show(chat_id, event)
        return message

    async def api_answerprecheckoutquery(self, params: dict, files: dict) -> bool:
        query_id = params.get("pre_checkout_query_id", "")
        if query_id not in self._checkouts or query_id in self.checkout_answers:
            raise BadRequest(QUERY_INVALID)
        ok = str(params.get("ok", "")).lower() == "true"
        if not ok and not params.get("error_message"):
            raise BadRequest("error_message is required when ok is false")  # Telegram's rule
        self.checkout_answers[query_id] = {"ok": ok, "error_message": params.get("error_message")}
        return True

    def pre_checkout(self, user: dict, invoice: dict) -> dict:
        """The user pressed Pay on an invoice the bot sent (its params as sendInvoice had them)."""
        query_id = secrets.token_hex(8)
        query = {
            "id": query_id,
            "from": user,
            "currency": invoice["currency"],
            "total_amount": sum(int(p["amount"]) for p in invoice["prices"]),
            "invoice_payload": invoice["payload"],
        }
        self._checkouts[query_id] = query
        return {"pre_checkout_query": query}

    def successful_payment(self, user: dict, invoice: dict) -> dict:
        """The payment went through (Telegram sends it only after an ok pre-checkout)."""
        message = self.user_message(user, "")["message"]
        del message["text"]
        message["successful_payment"] = {
            "currency": invoice["currency"],
            "total_amount": sum(int(p["amount"]) for p in invoice["prices"]),
            "invoice_payload": invoice["payload"],
            "telegram_payment_charge_id": "tg_" + secrets.token_hex(6),
            "provider_payment_charge_id": "pr_" + secrets.token_hex(6),
        }
        return {"message": message}

    # ---- chats and messages ----

    def _chat(self, chat_id: object) -> dict | None:
        try:
            return self.known_chats.get(int(chat_id))
        except (TypeError, ValueError):
            return None  # "@channelname": no channel exists here

    def _message_to_edit(self, params: dict) -> tuple[int, dict]:
        chat_id = int(params.get("chat_id") or 0)
        message = self.messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise BadRequest("message to edit not found")
        return chat_id, message

    def _new_message(self, chat_id: int, **content) -> dict:
        chat = self.known_chats.get(chat_id) or {"id": chat_id, "type": "private"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(self.clock()),
            "chat": dict(chat),
            "from": self.bot_user,
        }
        message.update({k: v for k, v in content.items() if v is not None})
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _show(self, chat_id: int, event: Event) -> None:
        """A new message; a reply keyboard stays under the chat until one replaces or removes it."""
        if event.markup and "keyboard" in event.markup:
            self.keyboards[chat_id] = event.markup["keyboard"]
        elif event.markup and event.markup.get("remove_keyboard"):
            self.keyboards.pop(chat_id, None)
        self._see(chat_id, event)

    def _see(self, chat_id: int, event: Event) -> None:
        self.chats.setdefault(chat_id, []).append(event)
        for listener in self.on_event:
            listener(chat_id, event)
        if event.kind in ("message", "edit") and len(event.text) > FakeBotAPI.longest[0]:
            FakeBotAPI.longest = (len(event.text), event.text[:60])

    # ---- the user side, used by tests ----

    def meet(self, *chats: int | dict) -> None:
        """These chats exist from now on: a person who has started the bot (an id), or a group
        (a chat dict such as {"id": -100123, "type": "supergroup", "title": "Team"})."""
        for chat in chats:
            chat = dict(chat) if isinstance(chat, dict) else {"id": int(chat), "type": "private"}
            self.known_chats[int(chat["id"])] = {**self.known_chats.get(int(chat["id"]), {}), **chat}

    @staticmethod
    def chat_of(update: dict) -> dict | None:
        """The chat an update comes from (a message's, or the pressed button's message's)."""
        for value in update.values():
            if isinstance(value, dict):
                chat = value.get("chat") or (value.get("message") or {}).get("chat")
                if chat:
                    return chat
        return None

    async def push(self, update: dict) -> int:
        """Delivers an update to the bot; the chat it comes from exists from now on."""
        if (chat := self.chat_of(update)) is not None:
            self.meet(chat)
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()
        return update_id

    def user_message(self, user: dict, text: str, chat: dict | None = None) -> dict:
        """A message from the user, in their private chat with the bot or in `chat` (a group)."""
        chat = dict(chat) if chat else {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = {
            "message_id": next(self._message_ids),
            "date": int(self.clock()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": message}

    def button_press(self, user: dict, message_id: int, data: str, chat: int | dict | None = None) -> dict:
        """The user presses a button of the bot's message in their private chat (or in `chat`)."""
        query_id = secrets.token_hex(8)  # unique, as Telegram's are
        self._callback_owner[query_id] = user["id"]
        chat_id = chat["id"] if isinstance(chat, dict) else chat or user["id"]
        message = self.messages[(int(chat_id), message_id)]
        return {
            "callback_query": {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": str(chat_id),
                "data": data,
            }
        }


def _chat_ids(params: dict) -> list:
    """The chats a call names: chat_id, and a command menu scope's chat."""
    scope = params.get("scope")
    ids = [params.get("chat_id"), scope.get("chat_id") if isinstance(scope, dict) else None]
    return [chat_id for chat_id in ids if chat_id is not None]


def _menu(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.get("language_code", "") or ""


def _inline(markup: dict | None) -> dict | None:
    """What a message keeps of its reply markup: an inline keyboard only."""
    return {"inline_keyboard": markup["inline_keyboard"]} if markup and markup.get("inline_keyboard") else None


def _set(message: dict, key: str, value: object) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value
