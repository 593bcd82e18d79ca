"""A fake Telegram Bot API server, spoken to over real HTTP by python-telegram-bot.

It keeps what a real server would: the updates users send, the messages the bot sends and
edits, answered button presses, files and command menus. Tests act as users by pushing
updates, and read what each user's chat shows.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

SENDING = {"sendmessage", "senddocument", "sendphoto", "editmessagetext"}
JSON_FIELDS = {
    "reply_markup", "commands", "scope", "entities", "caption_entities", "allowed_updates",
    "link_preview_options", "reply_parameters", "media",
}


@dataclass
class Event:
    """Something a user sees in their chat with the bot."""

    kind: str  # "message", "edit", "document", "alert", "toast"
    text: str
    message_id: int | None = None
    buttons: list[list[dict]] = field(default_factory=list)
    document: bytes | None = None
    filename: str | None = None


class FakeBotAPI:
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "HomeDemoTestBot") -> None:
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "HomeDemo", "username": username,
                         "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.url = ""
        self.calls: list[tuple[str, dict]] = []
        self.chats: dict[int, list[Event]] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.blocked: set[int] = set()
        self._updates: list[dict] = []
        self._new_update = asyncio.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_owner: dict[str, int] = {}
        self._answered: set[str] = set()  # Telegram accepts one answer per button press
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

    # ---- the HTTP side, as python-telegram-bot sees it ----

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
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
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if chat_id is not None and self.failures.get(int(chat_id)):
            self.failures[int(chat_id)] -= 1
            return self._error(502, "Bad Gateway")
        if method.lower() in SENDING and chat_id is not None:
            limited = self._over_limit(int(chat_id))
            if limited:
                return limited
            self.delivered_at.append((int(chat_id), time.monotonic()))
        try:
            result = await handler(params, files)
        except LookupError as error:
            return self._error(400, f"Bad Request: {error}")
        return web.json_response({"ok": True, "result": result})

    def _over_limit(self, chat_id: int) -> web.Response | None:
        """Token buckets, as Telegram behaves: a second's worth may come at once, then the rate."""
        if not self.enforce_limits:
            return None
        now = time.monotonic()
        overall = self._take(self._buckets.setdefault("all", [float(self.overall_per_second), now]), self.overall_per_second, now)
        in_chat = self._buckets.setdefault(chat_id, [float(self.per_chat_per_second), now])
        if not overall or not self._take(in_chat, self.per_chat_per_second, now):
            if overall:
                self._buckets["all"][0] += 1  # give back the overall token this send did not use
            self.too_many.append((chat_id, now))
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
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
        return True

    async def api_setmycommands(self, params: dict, files: dict) -> bool:
        scope = params.get("scope") or {"type": "default"}
        key = (json.dumps(scope, sort_keys=True), params.get("language_code", ""))
        self.commands[key] = params["commands"]
        return True

    async def api_getupdates(self, params: dict, files: dict) -> list[dict]:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        async with self._new_update:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                try:
                    await asyncio.wait_for(self._new_update.wait(), timeout)
                except TimeoutError:
                    pass
            return list(self._updates[: int(params.get("limit", 100) or 100)])

    async def api_sendmessage(self, params: dict, files: dict) -> dict:
        message = self._new_message(int(params["chat_id"]), text=params["text"], reply_markup=params.get("reply_markup"))
        self._see(int(params["chat_id"]), Event("message", params["text"], message["message_id"], _buttons(params)))
        return message

    async def api_senddocument(self, params: dict, files: dict) -> dict:
        chat_id = int(params["chat_id"])
        filename, content = files["document"]
        message = self._new_message(chat_id, caption=params.get("caption", ""),
                                    document={"file_id": f"file{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}",
                                              "file_name": filename, "file_size": len(content)})
        self._see(chat_id, Event("document", params.get("caption", ""), message["message_id"], document=content, filename=filename))
        return message

    async def api_sendphoto(self, params: dict, files: dict) -> dict:
        chat_id = int(params["chat_id"])
        filename, content = files["photo"]
        message = self._new_message(chat_id, caption=params.get("caption", ""),
                                    photo=[{"file_id": f"p{len(self.calls)}", "file_unique_id": f"pu{len(self.calls)}", "width": 800, "height": 400}])
        self._see(chat_id, Event("photo", params.get("caption", ""), message["message_id"], document=content, filename=filename))
        return message

    async def api_editmessagetext(self, params: dict, files: dict) -> dict:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise LookupError("message to edit not found")
        message["text"] = params["text"]
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._see(chat_id, Event("edit", params["text"], message_id, _buttons(params)))
        return message

    async def api_answercallbackquery(self, params: dict, files: dict) -> bool:
        if params["callback_query_id"] in self._answered:
            raise LookupError("query is too old and response timeout expired or query ID is invalid")
        self._answered.add(params["callback_query_id"])
        text = params.get("text")
        if text:
            user_id = self._callback_owner[params["callback_query_id"]]
            alert = str(params.get("show_alert", "false")).lower() == "true"
            self._see(user_id, Event("alert" if alert else "toast", text))
        return True

    # ---- the user side, used by tests ----

    def _new_message(self, chat_id: int, **content) -> dict:
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "from": self.bot_user}
        message.update({k: v for k, v in content.items() if v is not None})
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _see(self, chat_id: int, event: Event) -> None:
        self.chats.setdefault(chat_id, []).append(event)

    async def push(self, update: dict) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()
        return update_id

    def user_message(self, user: dict, text: str) -> dict:
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                   "from": user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": message}

    def button_press(self, user: dict, message_id: int, data: str) -> dict:
        query_id = secrets.token_hex(8)  # unique, as Telegram's are
        self._callback_owner[query_id] = user["id"]
        message = self.messages[(user["id"], message_id)]
        return {"callback_query": {"id": query_id, "from": user, "message": message, "chat_instance": str(user["id"]), "data": data}}


def _buttons(params: dict) -> list[list[dict]]:
    markup = params.get("reply_markup") or {}
    return markup.get("inline_keyboard", [])
