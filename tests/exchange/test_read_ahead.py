"""The run reads its next batch in a thread: every batch comes, in order, and a failure reaches the caller."""

from __future__ import annotations

import threading

import pytest

from crm_app.exchange.imports.running import _read_ahead


def test_batches_come_in_order_made_one_ahead_in_another_thread() -> None:
    made_in: list[str] = []

    def batches():
        for n in range(5):
            made_in.append(threading.current_thread().name)
            yield [n, n]

    with _read_ahead(batches()) as ahead:
        assert list(ahead) == [[n, n] for n in range(5)]
    assert made_in and all(name.startswith("import-read-ahead") for name in made_in)


def test_a_failure_while_reading_ahead_is_raised_to_the_caller() -> None:
    def batches():
        yield [1]
        raise ValueError("damaged row cache")

    with _read_ahead(batches()) as ahead, pytest.raises(ValueError, match="damaged row cache"):
        for _batch in ahead:
            pass


def test_leaving_early_waits_for_the_step_under_way_and_reads_no_further() -> None:
    taken: list[int] = []

    def batches():
        for n in range(100):
            taken.append(n)
            yield [n]

    with _read_ahead(batches()) as ahead:
        for batch in ahead:
            if batch == [2]:
                break
    assert taken == [0, 1, 2, 3]
