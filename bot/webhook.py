"""The web process's HTTP server: Telegram's webhook and the health check, on one port.

PTB's own webhook server (Updater.start_webhook) serves the webhook path and nothing else, and
offers no public way to add a route. PTB's documented answer for custom routes is the "custom
webhook" pattern: run your own web server and put each update on `application.update_queue`
(https://docs.python-telegram-bot.org/en/stable/examples.customwebhookbot.html). We do that
with tornado, the server PTB's webhooks extra already brings. Compared with PTB's handler this
one compares the secret in constant time, logs every refusal at WARNING without echoing the
token it was sent, answers 400 (not 500) to a body that is not an update, and caps its size.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import timedelta
from http import HTTPStatus

import tornado.web
from telegram import Update
from telegram.ext import Application, ExtBot
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.boundary import BoundaryProcessor
from bot.health import check

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # bytes: an update is a few kilobytes; anything bigger is not from Telegram
# Telegram sends a chat's next update only when the webhook has answered the previous one
# (telegram-bot-api's WebhookActor keeps one request in flight per chat), so answering once the
# update is handled keeps each person's updates in order across several web processes. An
# update slower than this is answered anyway, so that one stuck update cannot stall its chat.
ANSWER_WITHIN = 30.0  # seconds


class TelegramUpdates(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_app: Application, secret: str, server: WebhookServer) -> None:
        self.app, self.secret, self.server = bot_app, secret, server

    async def post(self) -> None:
        if self.server.stopping:
            # This process is going away: Telegram sends the update again, to another process.
            self.set_header("Retry-After", "1")
            return self._answer(HTTPStatus.SERVICE_UNAVAILABLE)
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning(
                "webhook request refused (403): %s secret token, from %s",
                "wrong" if given else "no",
                self.request.remote_ip,
            )
            return self._answer(HTTPStatus.FORBIDDEN)
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("webhook request refused (400): the body is not an update, from %s", self.request.remote_ip)
            return self._answer(HTTPStatus.BAD_REQUEST)
        if isinstance(self.app.bot, ExtBot):
            self.app.bot.insert_callback_data(update)  # as PTB's own webhook handler does
        processor = self.app.update_processor
        handled = processor.when_handled(update.update_id) if isinstance(processor, BoundaryProcessor) else None
        await self.app.update_queue.put(update)
        if handled is not None:
            try:
                await asyncio.wait_for(asyncio.shield(handled), ANSWER_WITHIN)
            except TimeoutError:
                log.warning("update %s still being handled after %s s: answered", update.update_id, ANSWER_WITHIN)
        return self._answer(HTTPStatus.OK)

    def _answer(self, status: HTTPStatus) -> None:
        self.set_status(status)
        self.finish()


class HealthCheck(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def initialize(self, bot_app: Application) -> None:
        self.app = bot_app

    async def get(self) -> None:
        data = self.app.bot_data
        limit = timedelta(seconds=data["settings"].health_max_outbox_lag_seconds)
        health = await check(data["db"], now=data["clock"].now(), max_lag=limit)
        self.set_status(HTTPStatus.OK if health.ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.write(health.as_json())  # tornado writes a dict as JSON


def web_app(application: Application, *, path: str, secret: str, server: WebhookServer) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (path, TelegramUpdates, {"bot_app": application, "secret": secret, "server": server}),
            ("/healthz", HealthCheck, {"bot_app": application}),
        ],
        log_function=lambda handler: None,  # refusals are logged above; the path is not for the logs
    )


class WebhookServer:
    """Binds the port, serves until stopped: stop() refuses new updates at once and lets the
    requests in flight have their answer; close() then closes every connection."""

    def __init__(self, application: Application, *, path: str, secret: str) -> None:
        app = web_app(application, path=path, secret=secret, server=self)
        self._server = HTTPServer(app, max_body_size=MAX_BODY)
        self.port: int | None = None
        self.stopping = False

    def start(self, *, host: str, port: int) -> int:
        sockets = bind_sockets(port, address=host)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s", host, self.port)
        return self.port

    async def stop(self) -> None:
        self.stopping = True
        self._server.stop()

    async def close(self) -> None:
        await self._server.close_all_connections()
