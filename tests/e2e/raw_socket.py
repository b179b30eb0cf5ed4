"""A stranger's websocket: the Engine.IO / Socket.IO wire protocol Reflex's front end speaks, written by hand.

Used to attack the real server the way a script would (any client token, any cookie, no hydrate), where a
browser would only ever send what the app's own JavaScript sends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import urllib.parse
from typing import Any

import websocket

from crm_app.auth.service import SESSION_COOKIE

NAMESPACE = "/_event"


class Refused(Exception):
    """The server would not open this socket."""


class RawTab:
    """One socket to ``/_event`` under a client token of the caller's choice, with an optional session cookie."""

    def __init__(self, base_url: str, token: str, *, session_token: str = "", timeout: float = 10.0):
        host = urllib.parse.urlsplit(base_url)
        query = urllib.parse.urlencode({"EIO": "4", "transport": "websocket", "token": token})
        url = f"ws://{host.netloc}{NAMESPACE}/?{query}"
        self.frames: list[str] = []
        try:
            self.ws = websocket.create_connection(
                url,
                timeout=timeout,
                origin=f"{host.scheme}://{host.netloc}",
                cookie=f"{SESSION_COOKIE}={session_token}" if session_token else None,
            )
            opened = self.ws.recv()
        except (websocket.WebSocketException, OSError) as error:
            raise Refused(str(error)) from error
        if not opened.startswith("0"):
            raise Refused(f"no Engine.IO open packet: {opened!r}")
        self.ws.send(f"40{NAMESPACE},")
        answer = self._next(timeout)
        if answer is None or not answer.startswith(f"40{NAMESPACE}"):
            raise Refused(f"namespace not joined: {answer!r}")

    def _next(self, timeout: float) -> str | None:
        self.ws.settimeout(timeout)
        while True:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return None
            except (websocket.WebSocketException, OSError):
                return None
            if frame == "2":
                self.ws.send("3")
                continue
            self.frames.append(frame)
            return frame

    def send(self, name: str, payload: dict[str, Any] | None = None, path: str = "/") -> None:
        """Send one event as the front end would (``name`` is the full handler name)."""
        event = {"name": name, "payload": payload or {}, "router_data": {"pathname": path, "query": {}, "asPath": path}}
        self.ws.send(f"42{NAMESPACE}," + json.dumps(["event", event]))

    def listen(self, seconds: float) -> list[str]:
        """Every frame received within ``seconds`` (also kept in ``frames``)."""
        got, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            frame = self._next(left)
            if frame is not None:
                got.append(frame)
        return got

    def close(self) -> None:
        """Close the socket."""
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close()


def post_upload_headers(base_url: str, headers: dict[str, str], declared_length: int) -> tuple[int, dict]:
    """POST /_upload with these headers and a declared body it never sends: what the server answers unread."""
    host = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    try:
        conn.putrequest("POST", "/_upload")
        for key, value in {
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(declared_length),
            "Origin": f"{host.scheme}://{host.netloc}",
            **headers,
        }.items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body or b"{}")
        except ValueError:
            return response.status, {"raw": body[:200].decode("latin-1")}
    finally:
        conn.close()
