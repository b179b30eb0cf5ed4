"""The garbage collector paused while a job processes rows in batches (imports, exports)."""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections.abc import Iterator

_GC_LOCK = threading.Lock()
_gc_pausers = 0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic garbage collection off while rows are processed (young generations collected every few batches).

    A batch allocates hundreds of thousands of small objects; the collector kept walking them (and every
    object already alive) over and over, which cost more than reading and checking the rows.
    """
    global _gc_pausers
    with _GC_LOCK:
        _gc_pausers += 1
        gc.disable()
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                gc.enable()


# A batch leaves little cyclic garbage (a few hundred objects), while a collection walks every young object
# still alive, the next batch's among them (a tenth of a second): so every few batches only.
COLLECT_EVERY_BATCHES = 8
_batches_done = itertools.count(1)


def after_batch() -> None:
    """Collect the young generations every few batches while automatic collection is paused."""
    if next(_batches_done) % COLLECT_EVERY_BATCHES == 0:
        gc.collect(1)
