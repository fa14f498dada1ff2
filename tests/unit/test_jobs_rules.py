"""Rules of the jobs domain that need no server: filters, ordering, page tokens, validation."""

from __future__ import annotations

import pytest

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import InvalidArgument
from careervault_jobs.domain import decode_page_token, encode_page_token, parse_name, validate
from careervault_jobs.filters import Condition, parse_filter, parse_order_by

S = pb.JobApplication.Status


def test_filter_reads_conjunctions_of_enum_text_and_tag_terms() -> None:
    got = parse_filter('status = phone_screen AND company : "Acme Corp" AND tags : remote')
    assert got == [
        Condition("status", "=", S.PHONE_SCREEN),
        Condition("company", ":", "Acme Corp"),
        Condition("tags", ":", "remote"),
    ]
    assert parse_filter("") == []
    assert parse_filter('company != "O\\"Brien"') == [Condition("company", "!=", 'O"Brien')]


@pytest.mark.parametrize(
    "text",
    [
        "status = HIRED",
        "salary = 5",
        "status APPLIED",
        "status = APPLIED OR status = OFFER",
        "status = APPLIED AND",
        "tags = remote",
        "status : APPLIED",
        'company = "unterminated',
        "x" * 1001,
    ],
)
def test_filter_refuses_what_it_cannot_mean(text: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_filter(text)
    assert err.value.reason == "INVALID_FILTER"
    assert err.value.violations[0].field == "filter"


def test_order_by_defaults_to_newest_first_and_refuses_unknown_fields() -> None:
    assert parse_order_by("") == [("create_time", True)]
    assert parse_order_by("company, applied_date desc") == [
        ("company", False),
        ("applied_date", True),
    ]
    for bad in ("salary", "company sideways", "company desc extra", ","):
        with pytest.raises(InvalidArgument):
            parse_order_by(bad)


def test_page_tokens_are_bound_to_their_query() -> None:
    token = encode_page_token(50, "binding-a")
    assert decode_page_token(token, "binding-a") == 50
    for forged in (token, "garbage!!", encode_page_token(-1, "binding-b")):
        with pytest.raises(InvalidArgument) as err:
            decode_page_token(forged, "binding-b")
        assert err.value.reason == "INVALID_PAGE_TOKEN"


def test_names_must_be_job_resource_names() -> None:
    assert parse_name("jobs/" + "a" * 32) == "a" * 32
    for bad in ("", "jobs/", "jobs/../x", "users/me", "jobs/" + "A" * 32):
        with pytest.raises(InvalidArgument):
            parse_name(bad)


def test_validation_lists_every_problem_at_once() -> None:
    job = pb.JobApplication(
        company=" ",
        position="x" * 201,
        job_url="javascript:alert(1)",
        salary=pb.SalaryRange(min=200, max=100, currency="dollars"),
        tags=["ok", ""],
    )
    job.applied_date.year, job.applied_date.month, job.applied_date.day = 2026, 2, 30
    with pytest.raises(InvalidArgument) as err:
        validate(job, {"company", "position", "job_url", "salary", "tags", "applied_date"})
    fields = {v.field for v in err.value.violations}
    assert fields == {
        "company",
        "position",
        "job_url",
        "salary.max",
        "salary.currency",
        "tags",
        "applied_date",
    }
