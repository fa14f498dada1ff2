"""Settings in Chromium against the real stack: profile and consent, password change, MFA setup
and the MFA sign-in that follows, export, the calendar feed, account deletion, accessibility and
the phone layout."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import TIMEOUT_MS, Account

pytestmark = pytest.mark.integration


def totp_code(secret: str, after_step: int | None = None) -> tuple[str, int]:
    """The code for the current 30-second step, from a step later than `after_step` (the server
    accepts each step's code once), with at least 3 s of the step left; and that step."""
    while True:
        now = time.time()
        step, left = int(now // 30), 30 - now % 30
        if (after_step is None or step > after_step) and left >= 3:
            return pyotp.TOTP(secret).at(now), step
        time.sleep(left + 0.1)


def open_settings(page: Page) -> None:
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_test_id("display-name-input")).to_be_visible()


def top(page: Page) -> None:
    """Back to the top, so a full-page screenshot shows the sticky top bar where it belongs."""
    page.evaluate("() => window.scrollTo(0, 0)")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/signin")


def set_up_mfa(page: Page) -> tuple[str, int]:
    """Turns MFA on from the settings page; the secret and the TOTP step used to verify."""
    page.get_by_test_id("mfa-setup-btn").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    secret = re.sub(r"\s+", "", page.get_by_test_id("mfa-secret").inner_text())
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    code, step = totp_code(secret)
    page.get_by_label("6-digit code from your app").fill(code)
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_test_id("mfa-enabled")).to_contain_text("Two-step verification is on")
    expect(page.get_by_test_id("mfa-status")).to_have_text("On")
    return secret, step


def test_profile_name_consent_and_password(
    desktop: Page, signed_up: Callable[..., Account], sign_in: Callable[[Page, Account], None]
) -> None:
    page = desktop
    account = signed_up(page, "Grace Hopper")
    open_settings(page)
    expect(page.get_by_test_id("profile-email")).to_have_value(account.email)

    # Display name: saved, shown in the top bar and still there after a reload.
    name_input = page.get_by_label("Display name")
    expect(name_input).to_have_value("Grace Hopper")
    name_input.fill("Rear Admiral Hopper")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Display name saved")).to_be_visible()
    banner = page.get_by_role("banner")
    expect(banner.get_by_text("Rear Admiral Hopper")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Display name")).to_have_value("Rear Admiral Hopper")
    expect(page.get_by_role("banner").get_by_text("Rear Admiral Hopper")).to_be_visible()

    # Consent to external AI: off by default, explained, and kept once turned on.
    consent = page.get_by_role("switch", name=re.compile("external AI processing"))
    expect(consent).to_have_attribute("aria-checked", "false")
    expect(page.get_by_text("Nothing you store leaves this server")).to_be_visible()
    consent.click()
    expect(consent).to_have_attribute("aria-checked", "true")
    expect(page.get_by_text(re.compile("Consent given on"))).to_be_visible()
    page.reload()
    consent = page.get_by_role("switch", name=re.compile("external AI processing"))
    expect(consent).to_have_attribute("aria-checked", "true")
    consent.click()
    expect(consent).to_have_attribute("aria-checked", "false")

    # Password: a wrong current password is refused in words; a right one signs out everywhere.
    new_password = "N3w-Passw0rd!"
    page.get_by_label("Current password").fill("Not-the-0ne!")
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("The current password is not right.")).to_be_visible()
    page.get_by_label("Current password").fill(account.password)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/signin")
    expect(page.get_by_text("Your password was changed").first).to_be_visible()
    sign_in(page, Account(account.email, new_password, account.name))


def test_mfa_setup_then_sign_in_asks_for_the_code(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page, "Mfa User")
    open_settings(page)
    expect(page.get_by_test_id("mfa-status")).to_have_text("Off")

    # A wrong code is refused in words and the setup stays open.
    page.get_by_test_id("mfa-setup-btn").click()
    secret = re.sub(r"\s+", "", page.get_by_test_id("mfa-secret").inner_text())
    good, _ = totp_code(secret)
    page.get_by_label("6-digit code from your app").fill(f"{(int(good) + 500_000) % 1_000_000:06d}")
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("alert").first).to_contain_text("code is not right")
    page.get_by_role("button", name="Cancel").click()

    secret, step = set_up_mfa(page)
    page.reload()
    expect(page.get_by_test_id("mfa-status")).to_have_text("On")

    sign_out(page)
    # A fresh visit (not the sign-out's history entry, which remembers /settings as the way back).
    page.goto("/")
    page.wait_for_url("**/signin")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    code_input = page.locator("#mfaCode")
    expect(code_input).to_be_visible()
    # The server takes each step's code once: wait for a step after the one that verified.
    code, _ = totp_code(secret, after_step=step)
    code_input.fill(code)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/dashboard", timeout=TIMEOUT_MS)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_export_downloads_everything_as_json(
    desktop: Page, signed_up: Callable[..., Account], tmp_path: Path
) -> None:
    page = desktop
    account = signed_up(page, "Export User")
    open_settings(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export my data").click()
    download = info.value
    assert re.fullmatch(r"careervault-export-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["user"]["email"] == account.email
    assert account.email in target.read_text(encoding="utf-8")
    expect(page.get_by_test_id("export-done")).to_contain_text(download.suggested_filename)


def test_calendar_feed_link_rotate_and_revoke(
    desktop: Page, signed_up: Callable[..., Account], web_url: str
) -> None:
    page = desktop
    signed_up(page, "Calendar User")
    open_settings(page)
    page.get_by_role("button", name="Show my calendar link").click()
    field = page.get_by_label("Your private calendar link")
    expect(field).to_have_value(re.compile(r"/v1/calendars/[^/]+/careervault\.ics$"))
    url = field.input_value()
    assert url.startswith(web_url.rstrip("/") + "/v1/calendars/")

    # The link is public: no token needed, an iCalendar document comes back.
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text().startswith("BEGIN:VCALENDAR")
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()

    # A new link: confirmed first; the old one stops working at once.
    page.get_by_role("button", name="Make a new link").click()
    dialog = page.get_by_role("dialog", name="Make a new calendar link?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Make a new link").click()
    expect(dialog).to_be_hidden()
    expect(field).not_to_have_value(url)
    rotated = field.input_value()
    assert page.request.get(url).status == 404
    assert page.request.get(rotated).status == 200

    # Turned off: the link is gone, and reopening settings does not bring it back.
    page.get_by_role("button", name="Turn off link").click()
    dialog = page.get_by_role("dialog", name="Turn off the calendar link?")
    dialog.get_by_role("button", name="Turn off link").click()
    expect(page.get_by_text("The link is turned off")).to_be_visible()
    assert page.request.get(rotated).status == 404
    page.reload()
    expect(page.get_by_role("button", name="Show my calendar link")).to_be_visible()
    assert page.request.get(rotated).status == 404


def test_delete_account_needs_confirmation_then_signs_out(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page, "Leaving User")
    open_settings(page)
    page.get_by_role("button", name="Delete my account").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    expect(dialog).to_be_visible()
    confirm = dialog.get_by_role("button", name="Delete my account")
    expect(confirm).to_be_disabled()
    field = dialog.get_by_label(re.compile("type your email or DELETE"))
    field.fill("someone-else@example.com")
    expect(confirm).to_be_disabled()
    field.fill(account.email)
    expect(confirm).to_be_enabled()
    confirm.click()

    page.wait_for_url("**/signin")
    expect(page.get_by_text("Your account and all your data were deleted.").first).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('careervault.tokens')") is None

    # The account is gone: signing in again fails.
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    expect(page.get_by_role("alert").first).to_contain_text("email or password is not right")
    assert page.url.endswith("/signin")


def test_settings_accessible_with_screenshots(
    desktop: Page,
    signed_up: Callable[..., Account],
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = desktop
    signed_up(page, "Ada Lovelace")
    open_settings(page)
    page.get_by_role("button", name="Show my calendar link").click()
    expect(page.get_by_label("Your private calendar link")).to_be_visible()
    axe_check(page)
    page.get_by_test_id("mfa-setup-btn").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    axe_check(page)
    top(page)
    screenshot(page, "settings-desktop")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("dialog", name="Delete your account?")).to_be_visible()
    axe_check(page)


def test_settings_on_a_phone(
    phone: Page,
    signed_up: Callable[..., Account],
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    signed_up(page, "Phone User")
    open_settings(page)
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Show my calendar link").click()
    expect(page.get_by_label("Your private calendar link")).to_be_visible()
    page.get_by_test_id("mfa-setup-btn").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    no_horizontal_scroll(page)
    axe_check(page)
    top(page)
    screenshot(page, "settings-phone")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("dialog", name="Delete your account?")).to_be_visible()
    no_horizontal_scroll(page)
