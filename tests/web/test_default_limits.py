"""The app as its users meet it: with the gateway's default per-user rate limits on (the
session's stack turns them off for the suites that call as fast as they can). A seeker with 450
applications goes through every screen without one request refused; one who does go over their
limit (here a script with the same account, drawing from the same bucket) sees the app's plain
"too many requests" message with a retry instead of a broken screen, and carries on once the
bucket has refilled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, expect

from careervault.jobs.v1 import jobs_pb2 as jpb
from gateway.stack import Stack
from tests.support.clients import PASSWORD, User, job, jobs_stub
from tests.support.stack import own_stack, stack_user
from tests.web.conftest import DESKTOP, DIST, Account, open_page, sign_in_through_ui

pytestmark = pytest.mark.integration

APPLICATIONS = 450  # three of the board's pages of 200, one after another
STATUSES = ("APPLIED", "PHONE_SCREEN", "TECHNICAL_INTERVIEW", "OFFER", "REJECTED")


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The system with the gateway's defaults: nothing of RATE_LIMITS_OFF."""
    if not DIST.is_file():
        pytest.skip(f"{DIST} is missing: the web app is not built (make web)")
    with own_stack(
        tmp_path_factory.mktemp("default-limits"), ("identity", "jobs", "extraction", "ai")
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def seeker(limited: Stack) -> User:
    """A user with APPLICATIONS applications, created over gRPC straight to the jobs service
    (not through the gateway, whose limits are what the tests look at)."""
    user = stack_user(limited, "Busy")
    stub = jobs_stub(limited.grpc_target("jobs"))
    for i in range(APPLICATIONS):
        stub.CreateJob(
            jpb.CreateJobRequest(
                job=job(
                    f"Company {i:03d}",
                    "Engineer",
                    status=jpb.JobApplication.Status.Value(STATUSES[i % len(STATUSES)]),
                )
            ),
            metadata=user.metadata,
            timeout=10,
        )
    return user


@pytest.fixture
def page(browser: Browser, limited: Stack) -> Iterator[Page]:
    yield from open_page(browser, limited.url, DESKTOP, mobile=False)


def watch(page: Page) -> list[tuple[int, str]]:
    """Every API response the page gets, as (status, URL), from now on."""
    seen: list[tuple[int, str]] = []

    def record(response: Response) -> None:
        if "/v1/" in response.url:
            seen.append((response.status, response.url))

    page.on("response", record)
    return seen


def test_every_screen_of_a_busy_seeker_stays_within_the_default_limits(
    page: Page, seeker: User
) -> None:
    seen = watch(page)
    sign_in_through_ui(page, Account(seeker.email, PASSWORD, "Busy"))
    expect(page.get_by_test_id("job-total")).to_have_text(f"{APPLICATIONS} applications")
    page.get_by_role("button", name="Table", exact=True).click()
    expect(page.get_by_role("cell", name=f"Company {APPLICATIONS - 1:03d}")).to_be_visible()
    page.goto("/analytics")
    expect(page.get_by_test_id("stat-total-value")).to_have_text(str(APPLICATIONS))
    page.goto("/settings")
    expect(page.get_by_test_id("profile-email")).to_have_value(seeker.email)
    page.goto("/dashboard")
    expect(page.get_by_test_id("job-total")).to_have_text(f"{APPLICATIONS} applications")
    # The board read all three pages, each time it was shown.
    pages = [url for status, url in seen if "/v1/jobs?" in url and "pageSize=200" in url]
    assert len(pages) >= 6, seen
    refused = [(status, url) for status, url in seen if status == 429]
    assert not refused, refused
    assert all(status < 400 for status, _ in seen), seen


class Drain:
    """Other clients of the same account calling without pause (a runaway script, many tabs),
    so the user's bucket is empty while they run. Envoy refills it once a second, and a
    request that lands in the few milliseconds before the drain has taken the new tokens
    passes: the tests below retry a step until the page has met the limit."""

    THREADS = 4

    def __init__(self, url: str, user: User) -> None:
        self.client = httpx.Client(base_url=url, headers=user.headers, timeout=10)
        self.stopping = threading.Event()
        self.refused = threading.Event()
        self.threads = [
            threading.Thread(target=self.run, daemon=True) for _ in range(self.THREADS)
        ]

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.client.get("/v1/jobs:stats").status_code == 429:
                self.refused.set()

    def __enter__(self) -> Drain:
        for thread in self.threads:
            thread.start()
        assert self.refused.wait(10), "the user's bucket never ran dry"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(10)
        self.client.close()


ATTEMPTS = 5


def test_a_user_over_the_limit_gets_a_plain_message_and_a_retry_that_works(
    page: Page, limited: Stack, seeker: User
) -> None:
    sign_in_through_ui(page, Account(seeker.email, PASSWORD, "Busy"))
    total = page.get_by_test_id("job-total")
    expect(total).to_have_text(f"{APPLICATIONS} applications")
    nav = page.get_by_role("navigation", name="Main", exact=True)
    board_failed = page.get_by_role("alert").filter(
        has_text="Your applications could not be loaded."
    )
    resume_failed = page.get_by_role("heading", name="Your account could not be loaded")
    seen = watch(page)

    # Within the app: the board cannot load, and says why.
    with Drain(limited.url, seeker):
        for _ in range(ATTEMPTS):
            nav.get_by_role("link", name="Analytics").click()
            nav.get_by_role("link", name="Dashboard").click()
            expect(total.or_(board_failed)).to_be_visible()
            if board_failed.is_visible():
                break
        expect(board_failed).to_contain_text("Too many requests")
    assert any(status == 429 for status, _ in seen), seen
    # The bucket refills at its rate (20/s by default): a person's pause is plenty.
    time.sleep(1.5)
    board_failed.get_by_role("button", name="Try again").click()
    expect(total).to_have_text(f"{APPLICATIONS} applications")

    # A reload: the session is kept (not the sign-in form), and the page says why it is empty.
    with Drain(limited.url, seeker):
        for _ in range(ATTEMPTS):
            page.reload()
            # The app tries the account three times over about 3 s before it gives up.
            expect(resume_failed.or_(total).or_(board_failed)).to_be_visible(timeout=15_000)
            if resume_failed.is_visible():
                break
        expect(page.get_by_role("alert")).to_contain_text("Too many requests")
    time.sleep(1.5)
    page.get_by_role("button", name="Try again").click()
    expect(total).to_have_text(f"{APPLICATIONS} applications")
