"""Analytics, resume analysis, interview prep and the career assistant in Chromium against the
real stack: the numbers follow the jobs, an uploaded PDF is analysed and saved to a job, the chat
streams and stops, and each screen passes axe and fits a phone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymupdf as _pymupdf
import pytest
from playwright.sync_api import Page, expect

from tests.support.documents import resume_pdf, text_pdf
from tests.web.conftest import Account

pytestmark = pytest.mark.integration

# PyMuPDF 1.x is only partly annotated (as in tests/support/documents.py).
pymupdf: Any = _pymupdf

JOB_DESCRIPTION = (
    "Backend Engineer. Requirements: 5+ years of Python, Kubernetes and PostgreSQL. "
    "Experience with React and GraphQL. Nice to have: Kafka."
)

Check = Callable[..., None]
Shot = Callable[[Page, str], Path]
SignUp = Callable[..., Account]


# -- helpers ------------------------------------------------------------------------------------


def rest(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Calls the REST API as the page's signed-in user (its access token from sessionStorage)."""
    stored = page.evaluate("() => sessionStorage.getItem('careervault.tokens')")
    assert stored, "not signed in"
    token = json.loads(stored)["accessToken"]
    response = page.request.fetch(
        path,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=json.dumps(body) if body is not None else None,
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.text() else {}


def add_job(page: Page, company: str, **fields: Any) -> dict[str, Any]:
    job: dict[str, Any] = rest(
        page, "POST", "/v1/jobs", {"company": company, "position": "Backend Engineer", **fields}
    )
    return job


def move(page: Page, job: dict[str, Any], status: str) -> dict[str, Any]:
    moved: dict[str, Any] = rest(
        page,
        "PATCH",
        f"/v1/{job['name']}?updateMask=status",
        {"status": status, "etag": job["etag"]},
    )
    return moved


def job_id(job: dict[str, Any]) -> str:
    return str(job["name"]).removeprefix("jobs/")


def status_count(page: Page, status: str) -> Any:
    return page.get_by_test_id(f"status-count-{status}-value")


def seed_search(page: Page) -> None:
    """A few applications in different stages and sources, for charts worth a screenshot."""
    plan = [
        ("Globex", "LinkedIn", "PHONE_SCREEN"),
        ("Initech", "LinkedIn", "REJECTED"),
        ("Hooli", "Referral", "TECHNICAL_INTERVIEW"),
        ("Umbrella", "Company site", "OFFER"),
        ("Stark Industries", "LinkedIn", "APPLIED"),
        ("Wayne Enterprises", "", "APPLIED"),
    ]
    for company, source, status in plan:
        job = add_job(page, company, source=source)
        if status != "APPLIED":
            move(page, job, status)


def shoot(page: Page, screenshot: Shot, name: str) -> None:
    """A full-page screenshot from the top (so the sticky header sits at the top)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(100)
    screenshot(page, name)


def upload(page: Page, name: str, data: bytes, mime: str = "application/pdf") -> None:
    page.get_by_test_id("resume-file").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )


# -- analytics ----------------------------------------------------------------------------------


def test_analytics_follow_the_applications(
    desktop: Page, signed_up: SignUp, axe_check: Check, screenshot: Shot
) -> None:
    page = desktop
    signed_up(page, "Ana Lytics")

    page.goto("/analytics")
    expect(page.get_by_role("heading", name="No applications yet")).to_be_visible()
    expect(page.get_by_role("link", name="Add your first application")).to_be_visible()
    axe_check(page)

    job = add_job(page, "Globex", source="LinkedIn", jobDescription=JOB_DESCRIPTION)
    page.reload()
    expect(page.get_by_test_id("stat-total-value")).to_have_text("1")
    expect(status_count(page, "APPLIED")).to_have_text("1")
    expect(status_count(page, "PHONE_SCREEN")).to_have_text("0")
    expect(page.get_by_test_id("stat-response-rate-value")).to_have_text("0%")
    expect(page.get_by_test_id("status-chart-summary")).to_have_text("1 application: 1 applied.")

    move(page, job, "PHONE_SCREEN")
    page.reload()
    expect(status_count(page, "APPLIED")).to_have_text("0")
    expect(status_count(page, "PHONE_SCREEN")).to_have_text("1")
    expect(page.get_by_test_id("stat-response-rate-value")).to_have_text("100%")
    expect(page.get_by_test_id("stat-interview-rate-value")).to_have_text("100%")
    expect(page.get_by_test_id("status-chart-summary")).to_contain_text("1 phone screen")
    expect(page.get_by_test_id("funnel-PHONE_SCREEN")).to_contain_text("1")
    expect(page.get_by_test_id("source-chart")).to_contain_text("LinkedIn")

    # Four charts drawn on canvases of a real size, each with its words beside it.
    canvases = page.locator("canvas")
    expect(canvases).to_have_count(4)
    for i in range(4):
        box = canvases.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100

    # "Show table" swaps a chart for its numbers.
    status_card = page.get_by_test_id("status-chart")
    status_card.get_by_role("button", name="Show table").click()
    expect(status_card.locator("canvas")).to_have_count(0)
    expect(status_card.get_by_role("table")).to_be_visible()
    expect(status_card.get_by_role("row", name=re.compile("Phone screen"))).to_contain_text("1")
    status_card.get_by_role("button", name="Show chart").click()
    expect(status_card.locator("canvas")).to_have_count(1)

    seed_search(page)
    page.reload()
    expect(page.get_by_test_id("stat-total-value")).to_have_text("7")
    page.wait_for_timeout(300)  # let the charts settle
    axe_check(page)
    shoot(page, screenshot, "analytics-desktop")


def test_analytics_on_a_phone(
    phone: Page,
    signed_up: SignUp,
    axe_check: Check,
    screenshot: Shot,
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    signed_up(page, "Pho Ne")
    page.goto("/analytics")
    expect(page.get_by_role("heading", name="No applications yet")).to_be_visible()
    no_horizontal_scroll(page)

    seed_search(page)
    page.reload()
    expect(page.get_by_test_id("stat-total-value")).to_have_text("6")
    expect(page.locator("canvas")).to_have_count(4)
    page.wait_for_timeout(300)
    no_horizontal_scroll(page)
    axe_check(page)
    shoot(page, screenshot, "analytics-phone")


# -- resume analysis ----------------------------------------------------------------------------


def test_analyze_an_uploaded_pdf_and_save_it_to_the_job(
    desktop: Page, signed_up: SignUp, axe_check: Check, screenshot: Shot
) -> None:
    page = desktop
    signed_up(page, "Jane Doe")
    job = add_job(page, "Globex", source="LinkedIn", jobDescription=JOB_DESCRIPTION)

    page.goto("/analyze")
    expect(page.get_by_role("heading", name="Resume analysis")).to_be_visible()
    axe_check(page)

    upload(page, "jane-doe.pdf", resume_pdf())
    expect(page.get_by_test_id("upload-done")).to_contain_text("Read 1 page from jane-doe.pdf")
    expect(page.locator("#resumeText")).to_have_value(re.compile(r"^Jane Doe"))

    page.locator("#jobDescription").fill(JOB_DESCRIPTION)
    page.get_by_role("button", name="Analyze match").click()

    score = page.get_by_test_id("match-score")
    expect(score).to_be_visible()
    value = int(score.get_attribute("data-score") or "-1")
    assert 0 < value < 100
    ring = page.get_by_role("img", name=re.compile(rf"Match score {value} out of 100"))
    expect(ring).to_be_visible()

    # The breakdown: components with their score, weight and explanation.
    components = page.get_by_test_id("score-component")
    assert components.count() >= 2
    required = page.locator('[data-testid="score-component"][data-component="required_skills"]')
    expect(required).to_contain_text("Required skills")
    expect(required).to_contain_text("weight")
    expect(required).to_contain_text("missing React, GraphQL")

    # Matched skills show the resume's lines with the skill marked in them.
    python = page.locator('[data-testid="matched-skill"][data-skill="Python"]')
    expect(python).to_be_visible()
    expect(python.locator("mark").first).to_have_text("Python")
    kubernetes = page.locator('[data-testid="matched-skill"][data-skill="Kubernetes"]')
    expect(kubernetes.get_by_test_id("evidence").first).to_contain_text("Kubernetes")
    expect(kubernetes.locator("mark").first).to_have_text("Kubernetes")

    # Missing skills quote the job's requirement.
    react = page.locator('[data-testid="missing-skill"][data-skill="React"]')
    expect(react).to_contain_text("Requirements")
    expect(react.locator("mark").first).to_have_text("React")
    expect(page.locator('[data-testid="missing-skill"][data-skill="GraphQL"]')).to_be_visible()
    expect(page.get_by_test_id("suggestions")).to_contain_text("React")
    expect(page.get_by_test_id("provider-badge")).to_contain_text("Local assistant")

    page.wait_for_timeout(800)  # the ring's animation
    axe_check(page)
    shoot(page, screenshot, "analyze-desktop")

    # Keep it on the job: pick the job, save, a toast, and the job shows it.
    page.locator("#saveTarget").select_option(job["name"])
    page.get_by_role("button", name="Save to job").click()
    expect(page.get_by_role("status").filter(has_text="Analysis saved to Globex")).to_be_visible()
    expect(page.get_by_test_id("saved-note")).to_contain_text("Saved to Globex")

    # Saved against the job itself, whose title counts too: the page shows what was saved.
    value = int(score.get_attribute("data-score") or "-1")
    saved = rest(page, "GET", f"/v1/{job['name']}")["analysis"]
    assert saved["matchScore"] == value
    assert "Python" in saved["matchedSkills"] and "React" in saved["missingSkills"]
    assert saved["provider"] == "local"

    page.get_by_test_id("saved-note").get_by_role("link", name="Open the job").click()
    page.wait_for_url(f"**/jobs/{job_id(job)}")
    expect(page.get_by_test_id("analysis-score")).to_contain_text(str(value))


def test_analyze_for_a_saved_job_from_its_link(desktop: Page, signed_up: SignUp) -> None:
    page = desktop
    signed_up(page)
    job = add_job(page, "Initech", jobDescription=JOB_DESCRIPTION)

    page.goto(f"/analyze?job={job_id(job)}")
    expect(page.get_by_role("radio", name="A saved job")).to_be_checked()
    expect(page.locator("#job")).to_have_value(job["name"])
    page.locator("#resumeText").fill(
        "Platform engineer. Seven years of Python services on Kubernetes, "
        "with PostgreSQL and React dashboards."
    )
    page.get_by_role("button", name="Analyze match").click()
    expect(page.get_by_test_id("match-score")).to_be_visible()
    expect(page.locator('[data-testid="matched-skill"][data-skill="React"]')).to_be_visible()

    page.get_by_role("button", name="Save to job").click()
    expect(page.get_by_test_id("saved-note")).to_contain_text("Saved to Initech")
    assert rest(page, "GET", f"/v1/{job['name']}")["analysis"]["matchScore"] > 0


def test_analyze_explains_unusable_files(desktop: Page, signed_up: SignUp) -> None:
    page = desktop
    signed_up(page)
    page.goto("/analyze")

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Jane Doe, Python engineer")
    encrypted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    upload(page, "locked.pdf", encrypted)
    expect(page.get_by_role("alert")).to_contain_text("password-protected")

    upload(page, "huge.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 10))
    expect(page.get_by_role("alert")).to_contain_text("larger than 10 MB")

    upload(page, "noise.bin", bytes(range(256)) * 8, "application/octet-stream")
    expect(page.get_by_role("alert")).to_contain_text("cannot be read")

    # Nothing to compare yet: said in words, nothing sent.
    upload(page, "cv.pdf", text_pdf("Jane Doe\nPython and Go engineer"))
    expect(page.get_by_test_id("upload-done")).to_be_visible()
    page.get_by_role("button", name="Analyze match").click()
    expect(page.get_by_role("alert")).to_contain_text("Paste the job description")


def test_analyze_on_a_phone(
    phone: Page,
    signed_up: SignUp,
    axe_check: Check,
    screenshot: Shot,
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    signed_up(page)
    page.goto("/analyze")
    no_horizontal_scroll(page)
    upload(page, "jane-doe.pdf", resume_pdf())
    expect(page.get_by_test_id("upload-done")).to_be_visible()
    page.locator("#jobDescription").fill(JOB_DESCRIPTION)
    page.get_by_role("button", name="Analyze match").click()
    expect(page.get_by_test_id("match-score")).to_be_visible()
    page.wait_for_timeout(800)
    no_horizontal_scroll(page)
    axe_check(page)
    shoot(page, screenshot, "analyze-phone")


# -- assistant ----------------------------------------------------------------------------------

# Records the length of the last answer's text on every change, to see it grow while streaming.
WATCH_ANSWER = """() => {
  window.__lengths = [];
  const log = document.querySelector('[data-testid="chat-log"]');
  new MutationObserver(() => {
    const answers = document.querySelectorAll('[data-testid="chat-answer"]');
    const last = answers[answers.length - 1];
    if (last) window.__lengths.push(last.textContent.length);
  }).observe(log, {subtree: true, childList: true, characterData: true});
}"""


def throttle(page: Page, bytes_per_second: int) -> None:
    """Slows the page's downloads (Chrome DevTools Protocol), so a stream takes visible time."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": bytes_per_second,
            "uploadThroughput": -1,
        },
    )


def test_chat_streams_the_answer_and_can_be_stopped(
    desktop: Page, signed_up: SignUp, axe_check: Check, screenshot: Shot
) -> None:
    page = desktop
    signed_up(page, "Chat Ter")
    add_job(page, "Globex", source="LinkedIn", jobDescription=JOB_DESCRIPTION)
    page.goto("/assistant")
    expect(page.get_by_role("tab", name="Career assistant")).to_have_attribute(
        "aria-selected", "true"
    )
    axe_check(page)

    box = page.get_by_test_id("chat-input")
    # Shift+Enter is a new line, not a send.
    box.fill("How is my job search")
    box.press("Shift+Enter")
    box.type("going?")
    expect(box).to_have_value("How is my job search\ngoing?")
    expect(page.get_by_test_id("chat-message")).to_have_count(0)

    page.evaluate(WATCH_ANSWER)
    box.press("Enter")
    expect(page.locator('[data-testid="chat-message"][data-role="user"]')).to_have_text(
        re.compile("How is my job search\\s+going\\?")
    )
    answer = page.get_by_test_id("chat-answer").last
    expect(page.get_by_test_id("chat-send")).to_be_visible()  # back once the answer is done
    expect(answer).to_contain_text("You are tracking 1 application")
    lengths: list[int] = page.evaluate("() => window.__lengths")
    growth = sorted(set(lengths))
    assert len(growth) >= 3, f"the answer did not arrive in pieces: {lengths}"
    assert lengths == sorted(lengths), f"the answer shrank while streaming: {lengths}"
    final = len(answer.text_content() or "")
    assert growth[0] < final, "the first piece was already the whole answer"
    badge = page.get_by_test_id("provider-badge").last
    expect(badge).to_contain_text("Local assistant")
    expect(box).to_be_focused()

    # A slow answer, stopped halfway: it stays cut where it was, marked as stopped.
    throttle(page, 400)
    box.fill("How do I negotiate my salary offer?")
    page.get_by_test_id("chat-send").click()
    second = page.get_by_test_id("chat-answer").nth(1)
    expect(second).to_have_text(re.compile(r"\S"), timeout=10_000)
    page.get_by_test_id("chat-stop").click()
    expect(page.get_by_test_id("chat-stopped")).to_be_visible()
    cut = len(second.text_content() or "")
    page.wait_for_timeout(1500)
    assert len(second.text_content() or "") == cut, "text kept arriving after Stop"
    expect(page.get_by_test_id("chat-send")).to_be_visible()
    throttle(page, -1)

    # The conversation goes on after a stop.
    box.fill("Thanks!")
    box.press("Enter")
    expect(page.get_by_test_id("chat-answer").nth(2)).to_contain_text("welcome")
    expect(page.get_by_test_id("chat-send")).to_be_visible()
    axe_check(page)
    shoot(page, screenshot, "assistant-desktop")


def test_interview_prep_lists_questions_by_category(
    desktop: Page, signed_up: SignUp, axe_check: Check
) -> None:
    page = desktop
    signed_up(page)
    job = add_job(page, "Globex", jobDescription=JOB_DESCRIPTION)

    page.goto(f"/assistant?tab=interview&job={job_id(job)}")
    expect(page.get_by_role("tab", name="Interview prep")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("#prep-job")).to_have_value(job["name"])
    page.locator("#prep-count").fill("6")
    page.get_by_role("button", name="Prepare questions").click()
    questions = page.get_by_test_id("interview-question")
    expect(questions).to_have_count(6)
    expect(page.get_by_role("heading", name="6 questions to prepare")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Technical"))).to_be_visible()
    first = questions.first
    expect(first.get_by_text("What to cover")).to_be_visible()
    expect(first.locator("li").first).to_be_visible()
    axe_check(page)

    # Pasted description, and the keyboard moves between the tabs.
    page.locator("label", has_text="A pasted description").click()
    expect(page.get_by_role("radio", name="A pasted description")).to_be_checked()
    page.locator("#prep-description").fill("Data analyst. Requirements: SQL, Tableau and Python.")
    page.locator("#prep-count").fill("3")
    page.get_by_role("button", name="Prepare questions").click()
    expect(page.get_by_role("heading", name="3 questions to prepare")).to_be_visible()
    page.get_by_role("tab", name="Interview prep").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Career assistant")).to_be_focused()
    expect(page.get_by_test_id("chat-input")).to_be_visible()


def test_assistant_on_a_phone(
    phone: Page,
    signed_up: SignUp,
    axe_check: Check,
    screenshot: Shot,
    no_horizontal_scroll: Callable[[Page], None],
) -> None:
    page = phone
    signed_up(page)
    seed_search(page)
    page.goto("/assistant")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="How is my job search going?").click()
    expect(page.get_by_test_id("chat-answer").last).to_contain_text("You are tracking 6")
    expect(page.get_by_test_id("chat-send")).to_be_visible()
    no_horizontal_scroll(page)
    axe_check(page)
    shoot(page, screenshot, "assistant-phone")
