"""A workbook's rows read in a child process, so that parsing its XML (openpyxl, the slowest part of an import's
dry run) and checking its rows use two cores at once.

    python -m crm_app.exchange.reading PATH FORMAT MAX_ROWS CACHE BATCH

The child reads PATH as ``files.header_and_rows`` does, writes the data rows to CACHE (JSON lines, the row
cache of imports) and sends pickled messages on its standard output: ``("rows", [(number, cells), ...])``
as it goes, then ``("done",)``; a file the checks refuse ends with ``("refused", message, field)``, anything
else with ``("failed", description)``. The parent (``rows_read_apart``) turns them back into rows and errors.
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
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crm_app.core.errors import ValidationError
from crm_app.exchange.files import cells_json, header_and_rows, open_sheet

PIPE_BYTES = 1024 * 1024
_ROOT = Path(__file__).resolve().parents[2]


class ReaderFailed(RuntimeError):
    """The child reading the workbook stopped without reading it to the end."""


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def read_to(out: IO[bytes], path: Path, file_format: str, *, max_rows: int, cache: Path, batch: int) -> None:
    """Read the file's data rows into ``cache`` and send them on ``out`` in batches (the child's work)."""
    gc.disable()
    try:
        with open_sheet(path, file_format) as sheet, cache.open("w", encoding="utf-8") as kept:
            _header_row, _headers, rows = header_and_rows(sheet, max_rows=max_rows)
            chunk: list[tuple[int, tuple[Any, ...]]] = []
            for number, cells in rows:
                chunk.append((number, cells))
                if len(chunk) >= batch:
                    kept.write("".join(json.dumps([n, cells_json(c)], ensure_ascii=False) + "\n" for n, c in chunk))
                    _send(out, ("rows", chunk))
                    chunk = []
                    gc.collect(1)
            kept.write("".join(json.dumps([n, cells_json(c)], ensure_ascii=False) + "\n" for n, c in chunk))
        _send(out, ("rows", chunk))
        _send(out, ("done",))
    except ValidationError as error:
        _send(out, ("refused", error.message, error.field))
    except Exception as error:  # the parent logs it and fails the dry run
        _send(out, ("failed", f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=20)}"))


def _received(proc: subprocess.Popen[bytes], errors: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    assert proc.stdout is not None
    while True:
        try:
            message = pickle.load(proc.stdout)
        except EOFError:
            code = proc.wait()
            errors.seek(0)
            tail = errors.read()[-2000:].decode("utf-8", "replace")
            raise ReaderFailed(f"The workbook reader stopped unexpectedly (exit code {code}). {tail}".strip()) from None
        kind = message[0]
        if kind == "rows":
            yield from message[1]
        elif kind == "done":
            return
        elif kind == "refused":
            raise ValidationError(message[1], field=message[2])
        else:
            raise ReaderFailed(f"The workbook reader failed: {message[1]}")


@contextlib.contextmanager
def rows_read_apart(
    path: Path, file_format: str, *, max_rows: int, cache: Path, batch: int
) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    """The data rows of a stored file, read by a child process that also writes them to ``cache``.

    Refusals come as the same ``ValidationError`` an in-process read raises, at the same row; a child that
    dies raises ``ReaderFailed``. Leaving the block early stops the child; it never outlives the block.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", __name__, str(path), file_format, str(max_rows), str(cache), str(batch)]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            assert proc.stdout is not None
            with contextlib.suppress(OSError, AttributeError):
                fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            yield _received(proc, errors)
        finally:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    path, file_format, max_rows, cache, batch = argv if argv is not None else sys.argv[1:]
    # The messages get the real standard output; anything else printed goes to standard error.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with out:
        read_to(out, Path(path), file_format, max_rows=int(max_rows), cache=Path(cache), batch=int(batch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
