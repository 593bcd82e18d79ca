"""The sandbox's page and its small JSON API, on aiohttp (the stack the bot already runs on).

New messages reach the page as server-sent events the moment the local Bot API server accepts
them: no polling. Every action is a POST of JSON; a cross-site form cannot send that
content type without the browser asking first, so another site open in the same browser cannot
act at this table; and a page reached by another name than this computer's (DNS rebinding) is
refused, unless the sandbox was started with --public."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web

from sandbox.table import SandboxError, Table

STATIC = Path(__file__).resolve().parent / "static"
TABLE = web.AppKey("table", Table)
KEEPALIVE = 15.0  # seconds: a comment line keeps proxies and the browser from closing the stream


LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def make_app(table: Table, *, public: bool = False) -> web.Application:
    app = web.Application(middlewares=[] if public else [_local_names_only])
    app[TABLE] = table
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/events", _events)
    app.router.add_get("/api/files/{item}", _file)
    app.router.add_post("/api/say", _action(lambda t, b: t.say(b.get("person"), b.get("text"))))
    app.router.add_post(
        "/api/press", _action(lambda t, b: t.press(b.get("person"), b.get("message_id"), b.get("data")))
    )
    app.router.add_post("/api/open", _action(lambda t, b: t.open_link(b.get("person"), str(b.get("payload") or ""))))
    app.router.add_post("/api/people", _action(lambda t, b: _added(t, b)))
    app.router.add_post("/api/clock", _action(lambda t, b: t.move(str(b.get("move")))))
    return app


@web.middleware
async def _local_names_only(request: web.Request, handler):
    if request.url.host not in LOCAL_NAMES:
        return web.json_response({"error": "Open the sandbox as http://127.0.0.1 or http://localhost."}, status=421)
    return await handler(request)


async def _added(table: Table, body: dict) -> dict:
    return table.describe(table.add_person(str(body.get("name") or ""), str(body.get("language") or "")))


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _state(request: web.Request) -> web.Response:
    return web.json_response(request.app[TABLE].state())


def _action(act):
    async def handle(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"error": "Send JSON."}, status=415)
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return web.json_response({"error": "Send a JSON object."}, status=400)
        try:
            result = await act(request.app[TABLE], body)
        except SandboxError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return handle


async def _file(request: web.Request) -> web.Response:
    try:
        filename, content, kind = request.app[TABLE].file(request.match_info["item"])
    except SandboxError as error:
        return web.json_response({"error": str(error)}, status=404)
    if kind == "photo":
        return web.Response(body=content, content_type="image/png")
    headers = {"Content-Disposition": f'attachment; filename="{_safe(filename)}"'}
    return web.Response(body=content, content_type="application/octet-stream", headers=headers)


def _safe(filename: str) -> str:
    return "".join(c for c in filename if c.isalnum() or c in "._- ") or "file"


async def _events(request: web.Request) -> web.StreamResponse:
    table: Table = request.app[TABLE]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    queue = table.subscribe()
    try:
        while True:
            try:
                kind, data = await asyncio.wait_for(queue.get(), KEEPALIVE)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            await response.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
    except ConnectionResetError:  # the page was closed or reloaded
        pass
    finally:
        table.unsubscribe(queue)
    return response
