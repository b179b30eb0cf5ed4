"""Fixtures of the form-definition tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session


@pytest.fixture
def db(any_engine) -> Iterator[Session]:
    """A session on SQLite, then on PostgreSQL."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s
