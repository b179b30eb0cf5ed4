"""Password hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from crm_app.auth import passwords
from crm_app.auth.passwords import (
    check_password_policy,
    common_passwords,
    hash_password,
    is_common_password,
    needs_rehash,
    verify_password,
)
from crm_app.core.errors import ValidationError

GOOD = "violet-harbour-lantern"


def test_hash_password_uses_argon2id_with_a_fresh_salt():
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$")
    assert first != second
    assert GOOD not in first


def test_verify_password_accepts_the_right_password_and_rejects_a_wrong_one():
    hashed = hash_password(GOOD)
    assert verify_password(hashed, GOOD) is True
    assert verify_password(hashed, GOOD.upper()) is False


@pytest.mark.parametrize("bad_hash", ["", "not-a-hash", "$argon2id$v=19$garbage", None, 42])
def test_verify_password_returns_false_for_an_invalid_hash_instead_of_raising(bad_hash):
    assert verify_password(bad_hash, GOOD) is False


def test_verify_password_returns_false_for_a_password_that_is_not_text():
    assert verify_password(hash_password(GOOD), None) is False


def test_needs_rehash_is_false_for_a_current_hash_and_true_for_other_parameters_or_garbage():
    assert needs_rehash(hash_password(GOOD)) is False
    weaker = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(GOOD)
    assert needs_rehash(weaker) is True
    assert needs_rehash("not-a-hash") is True


def test_dummy_verify_takes_any_input_without_raising():
    passwords.dummy_verify(GOOD)
    passwords.dummy_verify("")


def test_policy_accepts_a_long_uncommon_password():
    check_password_policy(GOOD, email="anna@example.com", name="Anna Nowak")


@pytest.mark.parametrize("password", ["", "short", "nine-char"])
def test_policy_rejects_a_password_shorter_than_ten_characters(password):
    with pytest.raises(ValidationError) as caught:
        check_password_policy(password)
    assert caught.value.errors == {"password": "Use at least 10 characters."}
    assert (caught.value.msgid, caught.value.params) == ("Use at least {count} characters.", {"count": 10})


def test_policy_rejects_a_password_longer_than_a_thousand_characters():
    check_password_policy("x7-" * 333 + "a")
    with pytest.raises(ValidationError, match="at most 1000"):
        check_password_policy("x7-" * 334)


@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "PASSWORD123",
        "QwErTyUiOp",
        "1234567890",
        "1qaz2wsx3edc",
        "Password2025!",
        "azertyuiop",
        "zaq12wsx123",
    ],
)
def test_policy_rejects_common_passwords_in_any_case(password):
    with pytest.raises(ValidationError) as caught:
        check_password_policy(password)
    assert caught.value.field == "password"
    assert "too common" in caught.value.message


def test_policy_rejects_a_common_word_followed_by_a_short_suffix_of_digits_or_symbols():
    assert is_common_password("Sunshine2026!!")
    assert not is_common_password("sunshine and a long sentence")


def test_policy_rejects_the_e_mail_address_its_local_part_and_the_name():
    email = "jean.dupont-martin@example.com"
    for password in (email, email.upper(), "jean.dupont-martin", "Jean Dupont Martin"):
        with pytest.raises(ValidationError, match="e-mail address or your name") as caught:
            check_password_policy(password, email=email, name="Jean Dupont Martin")
        assert caught.value.field == "password"


def test_common_password_list_ships_about_a_thousand_lowercase_entries():
    common = common_passwords()
    assert len(common) >= 1000
    assert all(entry == entry.lower() and entry.strip() == entry for entry in common)
    assert {"password", "123456789", "qwerty123", "iloveyou", "motdepasse", "haslo123"} <= common
