"""A workbook's rows read, and checked when that helps, in a child process, so that a dry run uses two cores
(the child reads the file and checks part of the rows while the caller decides the rest).

    python -m crm_app.exchange.reading      (its settings come as one JSON line on standard input)

The child reads a stored file as ``files.header_and_rows`` does and writes its data rows to the row cache as it
goes. Once the caller falls behind (it acknowledges each message it takes) and the child was given the database,
it also checks part of each batch itself (a share that grows while the caller still has a batch waiting and
shrinks once it has none, so that neither side waits for the other): checking a row is the part of deciding it
that needs nothing of the import's progress, reading it through the column plan and validating it as a new
contact, on a read-only connection of the child's own (``imports.checking.RowChecker``). The caller still decides the
rest (duplicates, matches, references).

Messages, pickled on standard output: ``("hello", fingerprint)`` once the child can check rows (``None``: it
cannot), ``("rows", [(number, cells), ...])``, ``("ready", [(number, cells, line), ...])``, ``("done",)``;
``("refused", message, field)`` for a file the checks refuse, ``("failed", description)`` for anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crm_app.core.collector import after_batch
from crm_app.core.errors import ValidationError
from crm_app.exchange.files import cells_json, header_and_rows, open_sheet

PIPE_BYTES = 1024 * 1024
WAITED_FOR_THE_CALLER = 0.05  # seconds: writing a message waited that long, the pipe was full
_ROOT = Path(__file__).resolve().parents[2]

# (number, cells, line): ``line`` is what the dry run keeps of a row the child read and checked
# (``imports.checking.kept_line``), else None.
Item = tuple[int, tuple[Any, ...], str | None]


class ReaderFailed(RuntimeError):
    """The child reading the rows stopped without reading them to the end."""


def _send(out: IO[bytes], message: tuple[Any, ...]) -> float:
    """Send one message; returns how long writing it waited (for the caller to make room in the pipe)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    started = time.monotonic()
    out.write(data)
    out.flush()
    return time.monotonic() - started


class _Acks:
    """How many batches the caller has taken (one byte each on the child's standard input)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.taken = 0
        self.sent = 0
        os.set_blocking(fd, False)

    def behind(self) -> bool:
        """Whether a batch sent earlier is still waiting for the caller."""
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.fd, 4096):
                self.taken += len(chunk)
        return self.sent - self.taken > 0


def _checker(out: IO[bytes], config: dict[str, Any]) -> Any:
    """An ``imports.checking.RowChecker`` for the import, announced to the caller; None when the child cannot check."""
    checker = None
    try:
        from crm_app.exchange.imports.checking import RowChecker

        checker = RowChecker(config["database"], int(config["import_id"]), config["stored_name"])
    except Exception:  # checking is an optimisation: the caller then checks every row itself
        traceback.print_exc(file=sys.stderr)
    _send(out, ("hello", checker.fingerprint if checker is not None else None))
    return checker


class _Share:
    """How much of each batch the child checks: more while the caller is the slower side (a batch sent
    earlier still waits for it when the next one is ready, or sending the last one had to wait for room in
    the pipe), less once it has taken everything (it waits for the child), so that both sides stay busy."""

    STEP = 0.1

    def __init__(self) -> None:
        self.fraction = 0.5

    def of(self, size: int, caller_behind: bool) -> int:
        """How many rows of a batch of ``size`` to check, given whether the caller is behind."""
        change = self.STEP if caller_behind else -self.STEP
        self.fraction = min(1.0, max(0.0, self.fraction + change))
        return round(size * self.fraction)


def _read_workbook(out: IO[bytes], config: dict[str, Any], acks: _Acks) -> None:
    checker = None
    may_check = bool(config.get("database"))
    batch = int(config["batch"])
    share = _Share()
    with (
        open_sheet(Path(config["path"]), config["file_format"], whole=True) as sheet,
        Path(config["cache"]).open("w", encoding="utf-8") as kept,
    ):
        _header_row, _headers, rows = header_and_rows(sheet, max_rows=int(config["max_rows"]))
        chunk: list[tuple[int, tuple[Any, ...]]] = []
        waited = 0.0
        for item in rows:
            chunk.append(item)
            if len(chunk) < batch:
                continue
            kept.write("".join(json.dumps([n, cells_json(c)], ensure_ascii=False) + "\n" for n, c in chunk))
            caller_behind = waited > WAITED_FOR_THE_CALLER or acks.behind()
            if may_check and caller_behind:
                checker, may_check = _checker(out, config), False
            checked = share.of(len(chunk), caller_behind) if checker is not None else 0
            waited = 0.0
            if checked:
                try:
                    ready = checker.read_and_check(chunk[:checked])
                except Exception:  # as when it cannot start: the caller checks the rows
                    traceback.print_exc(file=sys.stderr)
                    checker, checked = None, 0
                else:
                    waited += _send(out, ("ready", ready))
                    acks.sent += 1
            if checked < len(chunk):
                waited += _send(out, ("rows", chunk[checked:]))
                acks.sent += 1
            chunk = []
            after_batch()
        kept.write("".join(json.dumps([n, cells_json(c)], ensure_ascii=False) + "\n" for n, c in chunk))
    _send(out, ("rows", chunk))


def serve(out: IO[bytes], config: dict[str, Any], acks: _Acks) -> None:
    """The child's work: read (and check) the rows the settings name and send them on ``out``."""
    gc.disable()
    try:
        _read_workbook(out, config, acks)
        _send(out, ("done",))
    except ValidationError as error:
        _send(out, ("refused", error.message, error.field))
    except Exception as error:  # the parent logs it and fails the dry run
        _send(out, ("failed", f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=20)}"))


def _received(proc: subprocess.Popen[bytes], errors: IO[bytes], context: str | None) -> Iterator[Item]:
    assert proc.stdout is not None and proc.stdin is not None
    trusted = False
    while True:
        try:
            message = pickle.load(proc.stdout)
        except EOFError:
            code = proc.wait()
            errors.seek(0)
            tail = errors.read()[-2000:].decode("utf-8", "replace")
            raise ReaderFailed(f"The row reader stopped unexpectedly (exit code {code}). {tail}".strip()) from None
        kind = message[0]
        if kind in ("rows", "ready"):
            with contextlib.suppress(OSError):
                proc.stdin.write(b".")
                proc.stdin.flush()
        if kind == "hello":
            trusted = message[1] is not None and message[1] == context
        elif kind == "rows":
            for number, cells in message[1]:
                yield number, cells, None
        elif kind == "ready":
            for number, cells, line in message[1]:
                yield number, cells, line if trusted else None
        elif kind == "done":
            return
        elif kind == "refused":
            raise ValidationError(message[1], field=message[2])
        else:
            raise ReaderFailed(f"The row reader failed: {message[1]}")


@contextlib.contextmanager
def rows_read_apart(config: dict[str, Any], *, context: str | None) -> Iterator[Iterator[Item]]:
    """The rows ``config`` names, read by a child process (see the module's documentation).

    Rows come as ``(number, cells, line)``; ``line`` is what the dry run keeps of the row (what was read in it
    and the verdict on it) when the child read and checked it under the reading fingerprint ``context`` (rows
    checked under another one come without: the caller reads them). Refusals come as the same
    ``ValidationError`` an in-process read raises, at the same row; a child that dies raises ``ReaderFailed``.
    Leaving the block early stops the child; it never outlives the block.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        try:
            assert proc.stdout is not None and proc.stdin is not None
            with contextlib.suppress(OSError, AttributeError):
                fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            with contextlib.suppress(OSError):
                proc.stdin.write(json.dumps(config).encode() + b"\n")
                proc.stdin.flush()
            yield _received(proc, errors, context)
        finally:
            if proc.poll() is None:
                proc.kill()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            proc.wait()


def _first_line(fd: int) -> bytes:
    """The settings line, read without taking any acknowledgement that follows it."""
    line = b""
    while not line.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    return line


def main() -> int:
    config = json.loads(_first_line(sys.stdin.fileno()))
    # The messages get the real standard output; anything else printed goes to standard error.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with out:
        serve(out, config, _Acks(sys.stdin.fileno()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
