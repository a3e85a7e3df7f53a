"""One Node inspector (CDP) session over a websocket, read all the time on a thread of its own.

Reading continuously, not only while a sample waits for an answer, is what lets the target
leave: a Node process exiting with a debugger attached prints "Waiting for the debugger to
disconnect..." and waits for us. Node tells a session that asked
(NodeRuntime.notifyWhenWaitingForDisconnect) and we close the socket the moment it does; a
Node without that command gets Runtime.enable instead, whose executionContextDestroyed for
the main context says the same (at the price of console events we drop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import aiohttp

T = TypeVar("T")
WAITING_FOR_DISCONNECT = "NodeRuntime.waitingForDisconnect"
CONTEXT_CREATED = "Runtime.executionContextCreated"
CONTEXT_DESTROYED = "Runtime.executionContextDestroyed"


class InspectorError(Exception):
    """The inspector refused a command, answered with an exception, or the session ended."""


class CdpSession:
    """Call `run` from any one thread; the websocket lives on the session's own event loop."""

    def __init__(self, ws_url: str) -> None:
        self._url = ws_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="soak-cdp", daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._main_context: int | None = None
        self.target_exiting = False  # Node said it is going away: never reconnect after that
        self.on_event: Callable[[dict[str, Any]], None] | None = None  # other notifications, on the loop

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        """Run coro on the session's loop, cancelled after timeout_s (TimeoutError)."""
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout_s), self._loop)
        return future.result(timeout_s + 1.0)

    async def command(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ws = await self._connect()
        self._next_id += 1
        call_id = self._next_id
        answer: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._pending[call_id] = answer
        try:
            await ws.send_str(json.dumps({"id": call_id, "method": method, "params": params or {}}))
            data = await answer
        finally:
            self._pending.pop(call_id, None)
        if "error" in data:
            raise InspectorError(str(data["error"]))
        result: dict[str, Any] = data.get("result", {})
        return result

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self.target_exiting:
            raise InspectorError("the target is exiting")
        if self._ws is None or self._ws.closed:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            ws = self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
            self._main_context = None
            self._loop.create_task(self._read(ws))
            try:
                await self.command("NodeRuntime.notifyWhenWaitingForDisconnect", {"enabled": True})
            except InspectorError:
                await self.command("Runtime.enable")
        return self._ws

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data: dict[str, Any] = json.loads(message.data)
                answer = self._pending.get(data.get("id", -1))
                if answer is not None and not answer.done():
                    answer.set_result(data)
                elif self._says_exiting(data):
                    self.target_exiting = True
                    await ws.close()
                    break
                elif self.on_event is not None and "method" in data:
                    self.on_event(data)
        finally:
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(InspectorError("inspector connection ended"))

    def _says_exiting(self, data: dict[str, Any]) -> bool:
        method, params = data.get("method"), data.get("params") or {}
        if method == WAITING_FOR_DISCONNECT:
            return True
        if method == CONTEXT_CREATED and self._main_context is None:
            self._main_context = params.get("context", {}).get("id")  # the first one is the main context
        # Other contexts (vm.createContext) come and go while the process lives on.
        return method == CONTEXT_DESTROYED and params.get("executionContextId") == self._main_context

    async def disconnect(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def close(self, timeout_s: float = 2.0) -> None:
        if self._loop.is_closed():
            return
        with contextlib.suppress(Exception):  # closing a socket the target already dropped
            self.run(self.disconnect(), timeout_s)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._loop.is_running():
            self._loop.close()
