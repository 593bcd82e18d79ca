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

from bot.health import check

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # bytes: an update is a few kilobytes; anything bigger is not from Telegram


class TelegramUpdates(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot_app: Application, secret: str) -> None:
        self.app, self.secret = bot_app, secret

    async def post(self) -> None:
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
        await self.app.update_queue.put(update)
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


def web_app(application: Application, *, path: str, secret: str) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (path, TelegramUpdates, {"bot_app": application, "secret": secret}),
            ("/healthz", HealthCheck, {"bot_app": application}),
        ],
        log_function=lambda handler: None,  # refusals are logged above; the path is not for the logs
    )


class WebhookServer:
    """Binds the port, serves until stopped; stop() refuses new requests at once."""

    def __init__(self, application: Application, *, path: str, secret: str) -> None:
        self._server = HTTPServer(web_app(application, path=path, secret=secret), max_body_size=MAX_BODY)
        self.port: int | None = None

    def start(self, *, host: str, port: int) -> int:
        sockets = bind_sockets(port, address=host)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s", host, self.port)
        return self.port

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
