"""Account settings: defaults, validation of each value, audit of each change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.core.app_settings import AccountSettings, get_settings, update_settings
from crm_app.core.errors import ValidationError
from crm_app.core.models import AppSetting, AuditEntry


def test_get_settings_returns_defaults_when_nothing_is_stored(session) -> None:
    settings = get_settings(session)
    assert settings == AccountSettings(
        default_region="FR",
        phone_display="international",
        channel_defaults={"whatsapp": False, "viber": False, "sms": False, "email": False},
        reference_prefix="C-",
        reference_digits=6,
    )


def test_account_settings_are_frozen(session) -> None:
    settings = get_settings(session)
    with pytest.raises(AttributeError):
        settings.default_region = "GB"  # type: ignore[misc]


def test_update_settings_stores_and_returns_the_new_values(session) -> None:
    result = update_settings(session, actor_id=None, default_region="gb", phone_display="national", reference_digits=8)
    session.commit()
    assert (result.default_region, result.phone_display, result.reference_digits) == ("GB", "national", 8)
    assert get_settings(session).default_region == "GB"


def test_update_settings_audits_each_changed_value_as_a_setting(session) -> None:
    update_settings(session, actor_id=None, default_region="DE", reference_prefix="K-")
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.field)).all()
    assert [(e.entity, e.field, e.old, e.new) for e in entries] == [
        ("setting", "default_region", "FR", "DE"),
        ("setting", "reference_prefix", "C-", "K-"),
    ]


def test_update_settings_writes_nothing_when_values_are_unchanged(session) -> None:
    update_settings(session, actor_id=None, default_region="FR")
    assert session.exec(select(AuditEntry)).all() == []
    assert session.exec(select(AppSetting)).all() == []


def test_update_settings_rejects_an_unknown_region(session) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, default_region="XX")
    assert "default_region" in caught.value.errors


def test_update_settings_rejects_an_unknown_phone_display_style(session) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, phone_display="fancy")
    assert "phone_display" in caught.value.errors


@pytest.mark.parametrize("prefix", ["TOO-LONG-PREFIX", "C 1", "C/", "Ç-", "<script>"])
def test_update_settings_rejects_a_bad_reference_prefix(session, prefix) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, reference_prefix=prefix)
    assert "reference_prefix" in caught.value.errors


def test_update_settings_accepts_an_empty_reference_prefix(session) -> None:
    assert update_settings(session, actor_id=None, reference_prefix="").reference_prefix == ""


@pytest.mark.parametrize("digits", [2, 11, "6", True, 6.0])
def test_update_settings_rejects_reference_digits_outside_3_to_10(session, digits) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, reference_digits=digits)
    assert "reference_digits" in caught.value.errors


def test_update_settings_merges_partial_channel_defaults(session) -> None:
    result = update_settings(session, actor_id=None, channel_defaults={"sms": True})
    assert result.channel_defaults == {"whatsapp": False, "viber": False, "sms": True, "email": False}


@pytest.mark.parametrize("value", [{"fax": True}, {"sms": "yes"}, ["sms"]])
def test_update_settings_rejects_bad_channel_defaults(session, value) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, channel_defaults=value)
    assert "channel_defaults" in caught.value.errors


def test_update_settings_rejects_unknown_keys(session) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, colour="red")
    assert "colour" in caught.value.errors


def test_update_settings_is_all_or_nothing(session) -> None:
    with pytest.raises(ValidationError) as caught:
        update_settings(session, actor_id=None, default_region="DE", reference_digits=99)
    assert set(caught.value.errors) == {"reference_digits"}
    assert get_settings(session).default_region == "FR"
    assert session.exec(select(AuditEntry)).all() == []


def test_get_settings_ignores_a_corrupt_stored_value(session) -> None:
    session.add(AppSetting(key="reference_digits", value="lots"))
    session.flush()
    assert get_settings(session).reference_digits == 6
