"""The session state: domain errors shown in the tab's language, what a tab forgets when its session ends."""

from __future__ import annotations

import pytest
import reflex as rx

import crm_app.crm_app  # noqa: F401  (builds the state tree of the real app)
from crm_app.auth import service as auth_service
from crm_app.auth.passwords import check_password_policy
from crm_app.core.errors import ThrottledError, ValidationError
from crm_app.ui.state.session import SessionState


def _session_state(locale: str) -> SessionState:
    state = rx.State().get_substate(SessionState.get_full_name().split(".")[1:])
    state._apply_locale(locale)
    return state


def test_an_error_with_placeholders_is_shown_translated_with_its_values_filled_in():
    state = _session_state("fr")
    error = ThrottledError(auth_service.THROTTLED_MINUTES, params={"minutes": 7})
    assert error.message == "Too many sign-in attempts. Try again in 7 minutes."
    assert state._error_text(error) == "Trop de tentatives de connexion. Réessayez dans 7 minutes."


def test_field_errors_with_placeholders_are_translated_too():
    state = _session_state("pl")
    with pytest.raises(ValidationError) as caught:
        check_password_policy("short")
    assert state._field_errors(caught.value) == {"password": "Użyj co najmniej 10 znaków."}
