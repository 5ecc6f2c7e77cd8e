"""The sandbox as an ASGI application: ``create_app(config)``.

Per request: route (404/405), HTTP Signature (401) for Cybersource's paths, a forced outcome
if one is queued, the handler, then the response. Handlers are synchronous and short (one
SQLite transaction); only deliberate waits (slow, timeout, hang) are asynchronous, so a hung
request never blocks the others. Nothing a client sends can produce a stack trace: unknown
failures answer Cybersource's 502 SERVER_ERROR shape.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .asgi import MalformedJson, Receive, Request, Response, Router, Scope, Send
from .config import SandboxConfig
from .controls import Controls
from .core import Sandbox
from .delivery import DeliveryWorker
from .faults import BUSINESS, Fault, Faults
from .flex import Flex
from .followons import FollowOns
from .payments import Payments
from .reports import Reports
from .risk import Risk
from .secrets_store import SandboxSecrets
from .signature import verify_request
from .store import Store
from .tms import Tms
from .tss import Tss
from .webhook_keys import WebhookKeys
from .webhooks import Webhooks
from .wire import CsError, dumps, invalid, server_error, unauthorized, utc_z

log = logging.getLogger("slpay.sandbox.cybersource")


class ConnectionDropped(ConnectionError):
    """Raised after the status line to make the server drop the connection (fault ``close``)."""


class SandboxApp:
    """The ASGI callable; ``close()`` stops the webhook worker and the database engine."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._secret = config.secret_bytes
        self.store = Store(config.db_url)
        self.secrets = SandboxSecrets(self.store)
        self.secrets.card_hash("0")  # create the salt now, never inside a request's transaction
        self.sandbox = Sandbox(config, self.store)
        self.faults = Faults()
        self.webhooks = Webhooks(self.sandbox)
        keys = WebhookKeys(self.sandbox)
        self.worker = DeliveryWorker(
            self.store,
            org_id=config.merchant_id,
            signing_key=keys.signing_key,
            encrypt=keys.encrypt,
            timeout_s=config.webhook_timeout_s,
            retry_unit_s=config.webhook_retry_unit_s,
        )
        self.sandbox.on_commit.append(self.worker.notify)
        self.router = Router()
        followons = FollowOns(self.sandbox)
        for part in (
            Payments(self.sandbox, self.secrets),
            followons,
            Risk(self.sandbox, followons),
            Tss(self.sandbox),
            Tms(self.sandbox, self.secrets),
            Flex(self.sandbox, self.secrets),
            self.webhooks,
            keys,
            Reports(self.sandbox),
            Controls(self.sandbox, self.faults, self.webhooks),
        ):
            part.register(self.router)
        self.worker.start()
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.worker.stop()
            self.store.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        req = await Request.read(scope, receive)
        resp = await self._dispatch(req, receive, send)
        if resp is not None:
            await resp.send(send)

    async def _dispatch(self, req: Request, receive: Receive, send: Send) -> Response | None:
        """The response to send, or None when a fault means no response at all."""
        route, params, known = self.router.match(req.method, req.path)
        if route is None:
            return self._no_route(req, known)
        req.params = params
        fault: Fault | None = None
        if route.signed:
            now = self.config.clock()
            verdict = verify_request(
                req,
                merchant_id=self.config.merchant_id,
                key_id=self.config.key_id,
                secret=self._secret,
                now=now,
                skew_s=self.config.clock_skew_s,
            )
            if not verdict.ok:
                log.info("refused request %s %s: %s", req.method, req.path, verdict.reason)
                return _error_response(unauthorized(now))
            fault = self.faults.take(req.method, req.path)
        return await self._with_fault(req, route.handler, fault, receive, send)

    async def _with_fault(
        self, req: Request, handler: Any, fault: Fault | None, receive: Receive, send: Send
    ) -> Response | None:
        now = self.config.clock()
        if fault is not None:
            if fault.outcome == "slow":
                await asyncio.sleep(fault.delay_ms / 1000)
            elif fault.outcome == "timeout":
                await self._hang(fault, receive, send, None)
                return None
            elif fault.outcome == "server_error":
                return _error_response(
                    server_error(now, fault.reason or "SYSTEM_ERROR", fault.status)
                )
            elif fault.outcome == "rate_limit":
                body = {
                    "submitTimeUtc": utc_z(now),
                    "status": "TOO_MANY_REQUESTS",
                    "reason": "TOO_MANY_REQUESTS",
                    "message": "Too many requests; retry later",
                }
                return Response(429, dumps(body), headers={"Retry-After": str(fault.retry_after)})
            elif fault.outcome in BUSINESS:
                req.forced = {"outcome": fault.outcome, "reason": fault.reason}
        resp = self._run(handler, req)
        if fault is not None and fault.outcome == "execute_then_hang":
            await self._hang(fault, receive, send, resp)
            return None
        return resp

    def _run(self, handler: Any, req: Request) -> Response:
        now = self.config.clock()
        try:
            resp: Response = handler(req)
            return resp
        except CsError as exc:
            return _error_response(exc)
        except MalformedJson:
            return _error_response(
                invalid(now, "INVALID_DATA", "Malformed request: the body is not valid JSON")
            )
        except Exception:
            log.exception("sandbox handler failed: %s %s", req.method, req.path)
            return _error_response(server_error(now))

    async def _hang(
        self, fault: Fault, receive: Receive, send: Send, resp: Response | None
    ) -> None:
        """Never answer: wait until the client goes away (or drop the connection)."""
        if fault.mode == "hang":
            try:
                await asyncio.wait_for(_until_disconnect(receive), fault.max_hang_ms / 1000)
                return
            except TimeoutError:
                pass
        status = resp.status if resp is not None else 200
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", b"100")],
            }
        )
        raise ConnectionDropped("sandbox fault: connection dropped after the status line")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _no_route(self, req: Request, known: bool) -> Response:
        now = self.config.clock()
        if known:
            body = {
                "submitTimeUtc": utc_z(now),
                "status": "METHOD_NOT_ALLOWED",
                "reason": "METHOD_NOT_ALLOWED",
                "message": f"{req.method} is not supported on this resource",
            }
            return Response(
                405, dumps(body), headers={"Allow": ", ".join(self.router.methods_for(req.path))}
            )
        body = {
            "submitTimeUtc": utc_z(now),
            "status": "NOT_FOUND",
            "reason": "NOT_FOUND",
            "message": "The requested resource does not exist",
        }
        return Response(404, dumps(body))


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _error_response(exc: CsError) -> Response:
    content_type = (
        "application/json;charset=utf-8" if "errors" in exc.body or "error" in exc.body else None
    )
    resp = Response(exc.status, dumps(exc.body), headers=exc.headers)
    if content_type:
        resp.content_type = content_type
    return resp


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    """Build the sandbox (its database schema, its webhook worker) as an ASGI app."""
    return SandboxApp(config or SandboxConfig())
