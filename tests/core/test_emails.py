"""E-mail addresses: normalised, and a clear reason when refused."""

from __future__ import annotations

import pytest

from crm_app.core.emails import normalise_email
from crm_app.core.errors import ValidationError


def test_normalise_email_lowercases_the_domain_only() -> None:
    assert normalise_email("  Jean.Dupont@EXAMPLE.COM ") == "Jean.Dupont@example.com"


def test_normalise_email_keeps_international_addresses() -> None:
    assert normalise_email("x@münchen.de") == "x@münchen.de"


def test_normalise_email_explains_a_domain_without_a_dot() -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_email("a@b")
    assert "domain" in caught.value.message
    assert "example.com" in caught.value.message


def test_normalise_email_explains_a_missing_at_sign() -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_email("ann.example.com")
    assert "@" in caught.value.message


def test_normalise_email_refuses_an_empty_address() -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_email(" ")
    assert caught.value.message == "Enter an e-mail address."


def test_normalise_email_refuses_more_than_320_characters() -> None:
    with pytest.raises(ValidationError):
        normalise_email("a" * 320 + "@example.com")


def test_normalise_email_refuses_script_tags() -> None:
    with pytest.raises(ValidationError):
        normalise_email("<script>@example.com")
