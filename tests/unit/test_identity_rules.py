"""Account rules: Cognito's default password policy, email and display-name checks."""

from __future__ import annotations

import pytest

from careervault_identity.domain import check_display_name, check_email, check_password


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Sh0rt!", "at least 8 characters"),
        ("alllower1!", "an upper-case letter"),
        ("ALLUPPER1!", "a lower-case letter"),
        ("NoDigits!!", "a digit"),
        ("NoSymbol12", "a symbol"),
    ],
)
def test_password_policy_names_what_is_missing(password: str, missing: str) -> None:
    (violation,) = check_password(password)
    assert violation.field == "password"
    assert missing in violation.description


def test_a_strong_password_passes() -> None:
    assert check_password("Correct-Horse-9") == []


def test_emails_and_display_names_are_checked() -> None:
    assert check_email("ada@example.com") == []
    assert check_email("not-an-email")[0].field == "email"
    assert check_email("")[0].description == "email is required"
    assert check_display_name("Ada Lovelace") == []
    assert check_display_name("x" * 101)
    assert check_display_name("bad\x00name")
