"""The auth screen in Chromium against the real stack: sign up, sign out, sign in, errors, deep
links, accessibility, and the phone layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Account

pytestmark = pytest.mark.integration


def test_sign_up_sign_out_and_sign_in_again(
    desktop: Page,
    signed_up: Callable[..., Account],
    sign_in: Callable[[Page, Account], None],
) -> None:
    page = desktop
    account = signed_up(page, "Ada Lovelace")
    expect(page).to_have_url(re.compile(r".*/dashboard$"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace").first).to_be_visible()

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")
    # The session is gone: tokens cleared, a protected page sends back to sign-in.
    assert page.evaluate("() => sessionStorage.getItem('careervault.tokens')") is None
    page.goto("/dashboard")
    page.wait_for_url("**/signin")

    sign_in(page, account)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    # A reload keeps the session (tokens survive in this tab's sessionStorage).
    page.reload()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.url.endswith("/dashboard")


def test_sign_out_then_sign_in_starts_on_the_dashboard(
    desktop: Page,
    signed_up: Callable[..., Account],
) -> None:
    """Signing out from a page and in again lands on the dashboard, not the page left: an
    explicit sign-out records no way back (only a signed-out visit, like a deep link, does)."""
    page = desktop
    account = signed_up(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings")
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")
    expect(page.locator("#email")).to_be_visible()
    assert page.evaluate("() => window.history.state?.usr?.from ?? null") is None

    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.url.endswith("/dashboard")


def test_a_signed_out_deep_link_returns_there_after_sign_in(
    desktop: Page,
    signed_up: Callable[..., Account],
) -> None:
    page = desktop
    account = signed_up(page)
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")
    page.goto("/settings")
    page.wait_for_url("**/signin")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/settings")


def test_wrong_password_shows_a_readable_error(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page)
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")

    page.locator("#email").fill(account.email)
    page.locator("#password").fill("Wrong-Passw0rd!")
    page.locator('form button[type="submit"]').click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("email or password is not right")
    assert page.url.endswith("/signin")


def test_sign_up_with_a_taken_email_says_so(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page)
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")
    page.get_by_role("button", name="Create account", exact=True).click()
    page.locator("#displayName").fill("Someone Else")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    expect(page.get_by_role("alert")).to_contain_text("exists already")


def test_deep_link_loads_the_app_not_a_404(desktop: Page) -> None:
    page = desktop
    response = page.goto("/jobs/123")
    assert response is not None and response.status == 200
    # Signed out: the app itself answers and asks to sign in, keeping the way back.
    page.wait_for_url("**/signin")
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("#root")).not_to_be_empty()


def test_forgot_password_step_is_reachable(desktop: Page) -> None:
    page = desktop
    page.goto("/signin")
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.locator("#email").fill("nobody@example.com")
    page.locator('form button[type="submit"]').click()
    # The answer never tells whether the account exists: the code step follows either way.
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.locator("#resetCode")).to_be_visible()
    expect(page.locator("#newPassword")).to_be_visible()


def test_auth_page_is_accessible_and_screenshots(
    desktop: Page,
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = desktop
    page.goto("/signin")
    expect(page.locator("#email")).to_be_visible()
    axe_check(page)
    screenshot(page, "auth-desktop")
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(page.locator("#displayName")).to_be_visible()
    axe_check(page)


def test_auth_page_on_a_phone(
    phone: Page,
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    page.goto("/signin")
    expect(page.locator("#email")).to_be_visible()
    no_horizontal_scroll(page)
    axe_check(page)
    screenshot(page, "auth-phone")
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(page.locator("#displayName")).to_be_visible()
    no_horizontal_scroll(page)


def test_signed_in_layout_on_a_phone_has_a_menu(
    phone: Page,
    signed_up: Callable[..., Account],
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    signed_up(page)
    no_horizontal_scroll(page)
    menu = page.get_by_role("button", name="Open menu")
    expect(menu).to_be_visible()
    menu.click()
    page.get_by_role("navigation", name="Main (mobile)").get_by_role(
        "link", name="Settings"
    ).click()
    page.wait_for_url("**/settings")
    no_horizontal_scroll(page)


def test_an_expired_access_token_is_refreshed_silently(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    signed_up(page)
    # Spoil the access token the tab holds (as if it had expired) and reload: the first API
    # call gets a 401 from Envoy, the client refreshes once and the user never notices.
    page.evaluate(
        """() => {
        const t = JSON.parse(sessionStorage.getItem('careervault.tokens'));
        t.accessToken = 'expired.' + t.accessToken.split('.')[1] + '.bad';
        sessionStorage.setItem('careervault.tokens', JSON.stringify(t));
    }"""
    )
    page.reload()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert page.url.endswith("/dashboard")
    token = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('careervault.tokens')).accessToken"
    )
    assert not token.startswith("expired.")
