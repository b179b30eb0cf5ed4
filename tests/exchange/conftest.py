"""Imports and exports keep their files in a folder of their own per test."""

from __future__ import annotations

import pytest

from crm_app.settings import settings


@pytest.fixture(autouse=True)
def exchange_folder(tmp_path, monkeypatch):
    """Stored uploads and exports go under the test's temporary folder."""
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "files")
    return tmp_path / "files"
