"""Fixtures for the web app's end-to-end tests: Debian's Chromium driven by Playwright (sync API)
against the session's real stack (tests/conftest.py), whose gateway serves web/dist.

- `browser`: one headless Chromium for the session (Debian's `chromium`, no browser download).
- `desktop` / `phone`: a fresh page (own context: no shared cookies or storage) at 1280x800 and
  390x844, with the gateway as base URL (`page.goto("/signin")`). An uncaught JavaScript error
  on the page fails the test.
- `signed_up(page, name=...)`: signs a new user up through the UI and waits for /dashboard;
  returns the Account (email, password, name). `sign_in(page, account)` signs in again.
- `axe_check(page)`: runs axe-core in the page and fails on serious or critical violations.
- `screenshot(page, name)`: writes docs/screenshots/<name>.png (e.g. `auth-desktop`).
- `no_horizontal_scroll(page)`: fails when the document is wider than the requested viewport
  (not window.innerWidth, which a mobile Chromium widens to fit the overflow).

`make test` builds web/dist and installs chromium before pytest runs; run alone, these tests
skip with the reason when either is missing. `CAREERVAULT_WEB_DIR=/tmp/x` tests another build
(e.g. `npx vite build --outDir /tmp/x`): the gateway then serves that directory.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from gateway.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
# The build the gateway serves: CAREERVAULT_WEB_DIR when set (as gateway/render.py reads it),
# else web/dist.
WEB_DIR = Path(os.environ.get("CAREERVAULT_WEB_DIR") or ROOT / "web" / "dist")
DIST = WEB_DIR / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "Sup3r-Secret!"
TIMEOUT_MS = 15_000


@dataclass
class Account:
    email: str
    password: str
    name: str


@pytest.fixture(scope="session")
def web_url(stack: Stack) -> str:
    """The gateway's URL, once it is known to serve the built app (not the placeholder)."""
    if not DIST.is_file():
        pytest.skip(f"{DIST} is missing: the web app is not built (make web)")
    return stack.url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("Debian's chromium is not installed (make chromium)")
    b = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
    yield b
    b.close()


def open_page(
    browser: Browser, base_url: str, viewport: ViewportSize, mobile: bool
) -> Iterator[Page]:
    """A fresh page (own context) at `base_url`; fails on an uncaught JavaScript error."""
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=1,
        locale="en-US",
        timezone_id="Europe/Berlin",
        reduced_motion="reduce",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors in the page: {errors}"


@pytest.fixture
def desktop(browser: Browser, web_url: str) -> Iterator[Page]:
    yield from open_page(browser, web_url, DESKTOP, mobile=False)


@pytest.fixture
def phone(browser: Browser, web_url: str) -> Iterator[Page]:
    yield from open_page(browser, web_url, PHONE, mobile=True)


def new_account(name: str = "Web Tester") -> Account:
    slug = name.lower().replace(" ", "-")
    return Account(f"{slug}-{uuid.uuid4().hex[:10]}@example.com", PASSWORD, name)


def sign_up_through_ui(page: Page, account: Account) -> Account:
    page.goto("/signin")
    page.get_by_role("button", name="Create account", exact=True).click()
    page.locator("#displayName").fill(account.name)
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/dashboard", timeout=TIMEOUT_MS)
    return account


def sign_in_through_ui(page: Page, account: Account) -> None:
    page.goto("/signin")
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(account.password)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/dashboard", timeout=TIMEOUT_MS)


@pytest.fixture
def signed_up() -> Callable[..., Account]:
    """`signed_up(page, name="Ada")`: a new account, signed up through the UI, on /dashboard."""

    def run(page: Page, name: str = "Web Tester") -> Account:
        return sign_up_through_ui(page, new_account(name))

    return run


@pytest.fixture
def sign_in() -> Callable[[Page, Account], None]:
    """`sign_in(page, account)`: signs in through the UI and waits for /dashboard."""
    return sign_in_through_ui


def run_axe(page: Page, *, disable: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.is_file():
        pytest.fail("web/node_modules/axe-core is missing (npm ci in web/)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options = {
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in disable},
    }
    result = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations", options
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


@pytest.fixture
def axe_check() -> Callable[..., None]:
    """`axe_check(page)`: fails with a readable list when axe finds serious/critical issues."""

    def check(page: Page, *, disable: tuple[str, ...] = ()) -> None:
        violations = run_axe(page, disable=disable)
        if violations:
            lines = []
            for v in violations:
                targets = [json.dumps(n.get("target")) for n in v.get("nodes", [])[:5]]
                lines.append(f"{v['impact']}: {v['id']}: {v['help']} at {', '.join(targets)}")
            pytest.fail(f"axe found on {page.url}:\n" + "\n".join(lines))

    return check


def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, "dashboard-phone")`: docs/screenshots/dashboard-phone.png."""
    return save_screenshot


# The document's widths and, when it is wider than `width`, up to five elements that reach past
# the viewport and cause it: in-flow ones that stick out of their own parent (not the parents a
# mobile Chromium widened to fit them, nor children that just fill them), and absolute/fixed ones
# that no scroll container clips (e.g. an sr-only label inside a sideways-scrolling board with
# no positioned ancestor in between, which is placed relative to the page instead).
_OVERFLOW_JS = """(width) => {
    const doc = document.documentElement.scrollWidth;
    const body = document.body ? document.body.scrollWidth : 0;
    const culprits = [];
    const right = (el) => el.getBoundingClientRect().right;
    if (Math.max(doc, body) > width) {
        for (const el of document.body.querySelectorAll("*")) {
            const r = el.getBoundingClientRect();
            if (r.right <= width + 0.5 || r.width === 0) continue;
            const parent = el.parentElement;
            const pos = getComputedStyle(el).position;
            const outOfFlow = pos === "absolute" || pos === "fixed";
            if (!outOfFlow && parent && r.right <= right(parent) + 0.5) continue;
            // A scroll container clips what is inside its box; an absolute element only when
            // the container is (or contains) its containing block: the sr-only trap.
            let clipped = false;
            let inBlock = pos !== "absolute" && pos !== "fixed";
            for (let n = parent; n && n !== document.body && pos !== "fixed"; n = n.parentElement) {
                const cs = getComputedStyle(n);
                if (!inBlock && cs.position !== "static") inBlock = true;
                if (inBlock && cs.overflowX !== "visible" && right(n) <= width + 0.5) {
                    clipped = true;
                    break;
                }
            }
            if (clipped) continue;
            const id = el.id ? "#" + el.id : "";
            const names = typeof el.className === "string" ? el.className.trim() : "";
            const cls = names ? "." + names.split(/\\s+/).slice(0, 4).join(".") : "";
            const text = (el.textContent || "").trim().slice(0, 40);
            const tag = el.tagName.toLowerCase();
            culprits.push(`<${tag}${id}${cls}> right=${Math.round(r.right)} "${text}"`);
            if (culprits.length >= 5) break;
        }
    }
    return {doc, body, inner: window.innerWidth, culprits};
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    """Fails when the document is wider than the viewport the test asked for.

    The width to compare with is `page.viewport_size`, not `window.innerWidth`: with
    `is_mobile=True` Chromium widens the layout viewport (and innerWidth) to fit content that
    overflows, so innerWidth would grow with the overflow and hide it. The elements that stick
    out of their parent past the viewport are named in the message, to find the cause quickly.
    """
    viewport = page.viewport_size
    assert viewport is not None, "the page has no fixed viewport"
    width = viewport["width"]
    found = page.evaluate(_OVERFLOW_JS, width)
    content = max(found["doc"], found["body"])
    assert content <= width, (
        f"horizontal scroll on {page.url}: the document is {content}px wide, the viewport "
        f"{width}px (documentElement.scrollWidth={found['doc']}, body.scrollWidth="
        f"{found['body']}, window.innerWidth={found['inner']}); sticking out: "
        + ("; ".join(found["culprits"]) or "(no element found)")
    )


@pytest.fixture
def no_horizontal_scroll() -> Callable[[Page], None]:
    """`no_horizontal_scroll(page)`: fails when the page scrolls sideways."""
    return assert_no_horizontal_scroll
