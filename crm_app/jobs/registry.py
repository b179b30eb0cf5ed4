"""Which function runs which kind of job, and what it is handed.

The packages that own the work register their handlers (``@handler("export.run")``); the composition root
imports those modules, so ``jobs`` never imports the layers above it. A handler gets a ``JobContext`` and
returns a JSON-ready result (or None); raising fails the attempt (retried after a backoff, then kept as the
job's error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[["JobContext"], "dict[str, Any] | None"]

_handlers: dict[str, Handler] = {}


class JobLost(Exception):
    """The job is no longer this worker's (its lease passed and another worker claimed it)."""


@dataclass
class JobContext:
    """One attempt at a job: its id, kind, payload and attempt number, and how to report progress."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    worker: str
    report: Callable[[dict[str, Any]], bool] = field(repr=False)

    def progress(self, done: int, total: int | None = None, **extra: Any) -> None:
        """Record how far the job is (read by whoever follows it); raises ``JobLost`` when it is no longer ours."""
        if not self.report({"done": done, "total": total, **extra}):
            raise JobLost(self.id)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``kind`` (one handler per kind)."""

    def register(fn: Handler) -> Handler:
        known = _handlers.get(kind)
        if known is not None and known is not fn and known.__qualname__ != fn.__qualname__:
            raise ValueError(f"job kind {kind!r} already has a handler: {known.__qualname__}")
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler:
    """The handler registered for ``kind`` (KeyError when there is none)."""
    return _handlers[kind]


def kinds() -> tuple[str, ...]:
    """Every registered kind."""
    return tuple(sorted(_handlers))
