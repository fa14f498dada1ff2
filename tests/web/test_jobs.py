"""The dashboard and the job detail page in Chromium against the real stack: the seed's add
flow, drag and drop (mouse and keyboard) that survives a reload, the table view's search and
filters, editing in place with a stale-etag conflict, contacts, interviews, the saved analysis,
delete, not found, accessibility and the phone layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Locator, Page, Response, expect

from tests.web.conftest import Account

pytestmark = pytest.mark.integration
DASH = "\N{EN DASH}"


# ---- helpers --------------------------------------------------------------------------------


class Rest:
    """The same user's REST session, separate from the page's (like a second device)."""

    def __init__(self, page: Page, account: Account) -> None:
        self.request: APIRequestContext = page.request
        r = self.request.post(
            "/v1/auth:signIn", data={"email": account.email, "password": account.password}
        )
        assert r.ok, r.text()
        self.headers = {"Authorization": f"Bearer {r.json()['tokens']['accessToken']}"}

    def create(self, **job: Any) -> dict[str, Any]:
        r = self.request.post("/v1/jobs", data=job, headers=self.headers)
        assert r.ok, r.text()
        return dict(r.json())

    def get(self, name: str) -> dict[str, Any]:
        r = self.request.get(f"/v1/{name}", headers=self.headers)
        assert r.ok, r.text()
        return dict(r.json())

    def patch(self, name: str, mask: str, **fields: Any) -> dict[str, Any]:
        etag = self.get(name)["etag"]
        r = self.request.patch(
            f"/v1/{name}?updateMask={mask}", data={**fields, "etag": etag}, headers=self.headers
        )
        assert r.ok, r.text()
        return dict(r.json())


def job_id(job: dict[str, Any]) -> str:
    return str(job["name"]).split("/")[-1]


def column(page: Page, status: str) -> Locator:
    return page.get_by_test_id(f"column-{status}")


def card(page: Page, position: str) -> Locator:
    return page.get_by_test_id("job-card").filter(has_text=position)


def add_job_through_the_form(page: Page, company: str, position: str) -> None:
    """The seed's own flow (its Cypress test), step by step."""
    page.locator('[data-testid="add-job-btn"]').click()
    page.locator("#company").fill(company)
    page.locator("#position").fill(position)
    page.locator('[type="submit"]').click()
    expect(page.get_by_text("Job application added successfully")).to_be_visible()


def drag_with_mouse(page: Page, source: Locator, target: Locator) -> None:
    """A person's drag: press, move in steps (past the 6 px start threshold), release."""
    src = source.bounding_box()
    dst = target.bounding_box()
    assert src and dst
    page.mouse.move(src["x"] + 40, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + 60, src["y"] + src["height"] / 2, steps=5)
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 80, steps=15)
    page.mouse.up()


def fits_the_viewport(page: Page) -> None:
    """Stricter than no_horizontal_scroll: a phone browser widens its layout viewport to fit
    overflowing content (window.innerWidth grows too), so compare with the configured width."""
    size = page.viewport_size
    assert size is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size["width"], f"{page.url} is {width}px wide on a {size['width']}px screen"


def shot(page: Page, screenshot: Callable[[Page, str], Path], name: str) -> None:
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, name)


def is_update(response: Response) -> bool:
    """UpdateJob's answer (so a reload after it sees the saved state)."""
    return response.request.method == "PATCH" and "/v1/jobs/" in response.url


# ---- dashboard ------------------------------------------------------------------------------


def press_until_announced(page: Page, live: Locator, key: str, announced: str) -> None:
    """Presses `key` until dnd-kit announces `announced`. Right after a lift, dnd-kit attaches
    its keyboard listener in an effect; on a loaded machine a key pressed before that is lost
    (the announcement stays on the old column), so a lost press is pressed again. A press that
    went through is never repeated: the announcement would have changed."""
    before = live.inner_text()
    for _ in range(5):
        page.keyboard.press(key)
        try:
            expect(live).to_contain_text(announced, timeout=1500)
            return
        except AssertionError:
            assert live.inner_text() == before, live.inner_text()  # lost, not moved elsewhere
    expect(live).to_contain_text(announced)


def test_add_then_move_by_mouse_keyboard_and_menu_survives_reload(
    desktop: Page,
    signed_up: Callable[..., Account],
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = desktop
    signed_up(page, "Grace Hopper")
    expect(page.get_by_text("No applications yet — add your first one")).to_be_visible()

    add_job_through_the_form(page, "TechCorp", "Software Engineer")
    job = card(page, "Software Engineer")
    expect(column(page, "APPLIED").get_by_test_id("job-card")).to_have_count(1)
    expect(page.get_by_test_id("count-APPLIED")).to_have_text("1")

    # Mouse: drag the card onto Phone screen.
    with page.expect_response(is_update) as moved:
        drag_with_mouse(page, job, column(page, "PHONE_SCREEN"))
    assert moved.value.ok
    expect(column(page, "PHONE_SCREEN").get_by_test_id("job-card")).to_have_count(1)
    expect(page.get_by_test_id("count-APPLIED")).to_have_text("0")
    page.reload()
    expect(column(page, "PHONE_SCREEN").get_by_test_id("job-card")).to_have_count(1)

    # Keyboard: space lifts the card, an arrow key moves it one column, space drops it.
    handle = card(page, "Software Engineer").get_by_role("button", name=re.compile("^Drag "))
    handle.focus()
    live = page.locator("[id^='DndLiveRegion']")  # dnd-kit's screen reader announcements
    with page.expect_response(is_update) as moved:
        page.keyboard.press("Space")
        expect(live).to_contain_text("is over Phone screen")
        press_until_announced(page, live, "ArrowRight", "is over Technical interview")
        page.keyboard.press("Space")
    assert moved.value.ok
    expect(column(page, "TECHNICAL_INTERVIEW").get_by_test_id("job-card")).to_have_count(1)
    page.reload()
    expect(column(page, "TECHNICAL_INTERVIEW").get_by_test_id("job-card")).to_have_count(1)

    # The "Move to" menu does the same without dragging.
    with page.expect_response(is_update) as moved:
        card(page, "Software Engineer").get_by_label("Move to").select_option("FINAL_INTERVIEW")
    assert moved.value.ok
    expect(column(page, "FINAL_INTERVIEW").get_by_test_id("job-card")).to_have_count(1)
    page.reload()
    expect(column(page, "FINAL_INTERVIEW").get_by_test_id("job-card")).to_have_count(1)

    add_job_through_the_form(page, "Globex", "Platform Engineer")
    expect(page.get_by_test_id("count-APPLIED")).to_have_text("1")
    axe_check(page)
    shot(page, screenshot, "dashboard-desktop")


def test_a_move_that_conflicts_rolls_back_with_a_readable_error(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page)
    rest = Rest(page, account)
    job = rest.create(company="Initech", position="QA Lead")
    page.reload()
    expect(column(page, "APPLIED").get_by_test_id("job-card")).to_have_count(1)

    # Another device changes it: the board's etag is now stale.
    rest.patch(job["name"], "notes", notes="changed elsewhere")
    card(page, "QA Lead").get_by_label("Move to").select_option("OFFER")
    alert = page.get_by_test_id("move-error")
    expect(alert).to_contain_text("Someone else changed")
    expect(column(page, "APPLIED").get_by_test_id("job-card")).to_have_count(1)
    expect(column(page, "OFFER").get_by_test_id("job-card")).to_have_count(0)
    alert.get_by_role("button", name="Reload").click()
    expect(alert).to_be_hidden()
    card(page, "QA Lead").get_by_label("Move to").select_option("OFFER")
    expect(column(page, "OFFER").get_by_test_id("job-card")).to_have_count(1)
    expect(page.get_by_test_id("move-error")).to_be_hidden()


def test_add_form_shows_the_services_field_errors(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    signed_up(page)
    page.get_by_test_id("add-job-btn").click()
    page.locator('[type="submit"]').click()
    expect(page.get_by_test_id("company-error")).to_have_text("Enter the company.")
    page.locator("#company").fill("Acme")
    page.locator("#position").fill("SRE")
    page.locator("#jobUrl").fill("ftp://example.com/job")
    page.locator("#salaryMin").fill("150000")
    page.locator("#salaryMax").fill("100000")
    page.locator('[type="submit"]').click()
    # Checked by the service (BadRequest field violations), shown next to the fields.
    expect(page.get_by_test_id("jobUrl-error")).to_contain_text("http(s) URL")
    expect(page.get_by_test_id("salaryMax-error")).to_contain_text("not be below min")
    expect(page.locator("#jobUrl")).to_have_attribute("aria-invalid", "true")
    page.locator("#jobUrl").fill("https://example.com/job")
    page.locator("#salaryMax").fill("180000")
    page.locator("#salaryCurrency").fill("usd")
    page.locator("#tags").fill("sre, remote")
    page.locator('[type="submit"]').click()
    expect(page.get_by_text("Job application added successfully")).to_be_visible()
    expect(card(page, "SRE")).to_contain_text("remote")


def test_table_view_searches_filters_sorts_and_pages(
    desktop: Page, signed_up: Callable[..., Account], axe_check: Callable[..., None]
) -> None:
    page = desktop
    account = signed_up(page)
    rest = Rest(page, account)
    rest.create(company="Acme", position="Backend Engineer", tags=["python"])
    rest.create(company="Globex", position="Data Engineer", status="PHONE_SCREEN")
    rest.create(company="Initech", position="Frontend Engineer", notes="Met at a meetup")
    for i in range(20):
        rest.create(company=f"Filler {i:02d}", position="Analyst")

    page.get_by_role("button", name="Table").click()
    expect(page).to_have_url(re.compile(r"view=table"))
    rows = page.get_by_test_id("job-table").locator("tbody tr")
    expect(rows).to_have_count(20)
    expect(page.get_by_test_id("table-range")).to_have_text(f"1{DASH}20 of 23")
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("table-range")).to_have_text(f"21{DASH}23 of 23")
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(20)

    page.get_by_test_id("table-search").fill("globex")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Data Engineer")
    page.get_by_test_id("table-search").fill("meetup")  # notes are searched too
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Initech")
    page.get_by_test_id("table-search").fill("")
    page.get_by_label("Stage", exact=True).select_option("PHONE_SCREEN")
    expect(rows).to_have_count(1)
    page.get_by_label("Stage", exact=True).select_option("")
    page.get_by_label("Tag", exact=True).fill("python")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Acme")
    page.get_by_role("button", name="Clear filters").first.click()

    # Sort by company, A to Z.
    page.get_by_role("button", name=re.compile("^Company")).click()
    expect(rows.first).to_contain_text("Acme")
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Company")
    axe_check(page)

    page.get_by_test_id("table-search").fill("no such thing")
    expect(page.get_by_text("No applications match")).to_be_visible()


# ---- job detail -----------------------------------------------------------------------------


def test_detail_edits_in_place_and_a_stale_etag_offers_a_reload(
    desktop: Page,
    signed_up: Callable[..., Account],
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = desktop
    account = signed_up(page)
    rest = Rest(page, account)
    job = rest.create(
        company="Globex",
        position="Backend Engineer",
        location="Berlin",
        workMode="HYBRID",
        source="LinkedIn",
        tags=["python", "k8s"],
        salary={"min": 70000, "max": 90000, "currency": "EUR", "period": "YEARLY"},
        appliedDate={"year": 2026, "month": 11, "day": 2},
        jobUrl="https://globex.example/jobs/1",
        jobDescription="Requirements: Python, Kubernetes and PostgreSQL.",
    )
    rest.patch(job["name"], "status", status="PHONE_SCREEN")
    rest.patch(
        job["name"],
        "analysis",
        analysis={
            "matchScore": 72,
            "summary": "A good match on skills; experience is a little short.",
            "scoreBreakdown": [
                {
                    "component": "required_skills",
                    "score": 80,
                    "weight": 0.6,
                    "explanation": "2 of 3",
                },
                {
                    "component": "experience",
                    "score": 60,
                    "weight": 0.4,
                    "explanation": "3 of 5 years",
                },
            ],
            "matchedSkills": ["Python", "Kubernetes"],
            "missingSkills": ["PostgreSQL"],
            "suggestions": ["Mention the PostgreSQL work from your last project."],
            "provider": "local",
        },
    )

    page.goto(f"/jobs/{job_id(job)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend Engineer")
    details = page.get_by_test_id("details-section")
    for text in (
        "Globex",
        "Berlin",
        "Hybrid",
        "LinkedIn",
        "python",
        "https://globex.example/jobs/1",
    ):
        expect(details).to_contain_text(text)
    timeline = page.get_by_test_id("status-timeline")
    expect(timeline.locator("li")).to_have_count(2)
    expect(timeline).to_contain_text("Phone screen")
    analysis = page.get_by_test_id("analysis-section")
    expect(analysis.get_by_test_id("analysis-score")).to_contain_text("72")
    expect(analysis).to_contain_text("PostgreSQL")
    expect(analysis).to_contain_text("Mention the PostgreSQL work")
    expect(analysis.get_by_role("link", name="Analyze again")).to_have_attribute(
        "href", f"/analyze?job={job_id(job)}"
    )

    # Edit in place: only the changed field is sent (the update mask).
    details.get_by_role("button", name="Edit details").click()
    page.locator("#location").fill("Hamburg")
    with page.expect_request(lambda r: r.method == "PATCH") as sent:
        details.get_by_role("button", name="Save").click()
    assert "updateMask=location" in sent.value.url
    expect(details).to_contain_text("Hamburg")

    # Someone else changes it between our read and our save: 409, and a reload fixes it.
    notes = page.get_by_test_id("notes-section")
    notes.get_by_role("button", name="Edit notes").click()
    page.locator("#notes-editor").fill("Ask about the on-call rota.")
    rest.patch(job["name"], "source", source="Referral")
    notes.get_by_role("button", name="Save").click()
    banner = page.get_by_test_id("conflict-banner")
    expect(banner).to_contain_text("Someone else changed this application")
    expect(page.locator("#notes-editor")).to_have_value("Ask about the on-call rota.")
    axe_check(page)
    banner.get_by_role("button", name="Reload").click()
    expect(banner).to_be_hidden()
    expect(details).to_contain_text("Referral")
    notes.get_by_role("button", name="Save").click()
    expect(notes).to_contain_text("Ask about the on-call rota.")
    stored = rest.get(job["name"])
    assert stored["notes"] == "Ask about the on-call rota."
    assert stored["source"] == "Referral"  # the other change survived

    # Next action, a contact and an interview.
    page.get_by_role("button", name="Set next action").click()
    page.locator("#nextActionDescription").fill("Send a thank-you note")
    page.locator("#nextActionDue").fill("2030-01-15")
    page.get_by_test_id("next-action-section").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("next-action-section")).to_contain_text("Send a thank-you note")

    contacts = page.get_by_test_id("contacts-section")
    contacts.get_by_role("button", name="Add contact").click()
    page.locator("#contact-name").fill("Jane Recruiter")
    page.locator("#contact-role").fill("Recruiter")
    page.locator("#contact-email").fill("jane@globex.example")
    contacts.locator("form").get_by_role("button", name="Add contact").click()
    expect(contacts).to_contain_text("Jane Recruiter")

    interviews = page.get_by_test_id("interviews-section")
    interviews.get_by_role("button", name="Add interview").click()
    page.locator("#interview-start").fill("2030-01-10T14:30")
    page.locator("#interview-kind").select_option("VIDEO")
    page.locator("#interview-interviewers").fill("Sam, Alex")
    interviews.locator("form").get_by_role("button", name="Add interview").click()
    expect(interviews).to_contain_text("Video call")
    expect(interviews).to_contain_text("With Sam, Alex")

    stored = rest.get(job["name"])
    assert stored["nextAction"]["dueDate"] == {"year": 2030, "month": 1, "day": 15}
    assert stored["contacts"][0]["email"] == "jane@globex.example"
    assert stored["interviews"][0]["kind"] == "VIDEO"

    axe_check(page)
    shot(page, screenshot, "job-detail-desktop")

    contacts.get_by_role("button", name="Remove contact Jane Recruiter").click()
    expect(contacts).to_contain_text("No contacts yet")
    interviews.get_by_role("button", name=re.compile("^Remove the interview")).click()
    expect(interviews).to_contain_text("No interviews scheduled yet")


def test_delete_asks_first_then_returns_to_the_dashboard(
    desktop: Page, signed_up: Callable[..., Account]
) -> None:
    page = desktop
    account = signed_up(page)
    rest = Rest(page, account)
    job = rest.create(company="Umbrella", position="Chemist")
    page.goto(f"/jobs/{job_id(job)}")
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("This cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete application").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_text("No applications yet — add your first one")).to_be_visible()

    page.goto(f"/jobs/{job_id(job)}")
    expect(page.get_by_text("This application does not exist or was deleted")).to_be_visible()
    page.goto("/jobs/not-a-job")
    expect(page.get_by_text("This application does not exist or was deleted")).to_be_visible()


# ---- phone ----------------------------------------------------------------------------------


def test_dashboard_and_detail_fit_a_phone(
    phone: Page,
    signed_up: Callable[..., Account],
    axe_check: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    account = signed_up(page)
    rest = Rest(page, account)
    add_job_through_the_form(page, "TechCorp", "Software Engineer")
    rest.create(
        company="Globex Corporation International", position="Senior Site Reliability Engineer"
    )
    job = rest.create(
        company="Initech",
        position="Backend Engineer",
        status="PHONE_SCREEN",
        location="Remote (EU)",
        tags=["python", "remote"],
        notes="A long note " * 30,
        jobUrl="https://initech.example/careers/backend-engineer-with-a-very-long-url-that-wraps",
    )
    page.reload()
    expect(page.get_by_test_id("job-card")).to_have_count(3)
    no_horizontal_scroll(page)
    fits_the_viewport(page)
    axe_check(page)
    shot(page, screenshot, "dashboard-phone")

    # The board scrolls inside itself; the "Move to" menu works by touch.
    card(page, "Software Engineer").get_by_label("Move to").select_option("PHONE_SCREEN")
    expect(column(page, "PHONE_SCREEN").get_by_test_id("job-card")).to_have_count(2)

    page.get_by_role("button", name="Table").click()
    rows = page.get_by_test_id("job-table").locator("li[data-testid='table-row']")
    expect(rows).to_have_count(3)
    no_horizontal_scroll(page)
    fits_the_viewport(page)

    page.goto(f"/jobs/{job_id(job)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backend Engineer")
    no_horizontal_scroll(page)
    fits_the_viewport(page)
    axe_check(page)
    shot(page, screenshot, "job-detail-phone")
