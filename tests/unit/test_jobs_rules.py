"""Rules of the jobs domain that need no server: filters, ordering, page tokens, validation."""

from __future__ import annotations

import pytest

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import InvalidArgument
from careervault_jobs.domain import PageTokens
from careervault_jobs.filters import Condition, Order, parse_filter, parse_order_by
from careervault_jobs.rules import parse_name, validate

S = pb.JobApplication.Status


def test_filter_reads_conjunctions_of_every_kind_of_term() -> None:
    got = parse_filter(
        'status = phone_screen AND company : "Acme Corp" AND tags : Remote AND '
        'applied_date >= 2026-01-01 AND update_time < "2026-11-01T10:00:00Z" AND kubernetes'
    )
    assert got == [
        Condition("status", "=", S.PHONE_SCREEN),
        Condition("company", ":", "acme corp"),
        Condition("tags", ":", "remote"),
        Condition("applied_date", ">=", "2026-01-01"),
        Condition("update_time", "<", 1793527200.0),
        Condition("text", ":", "kubernetes"),
    ]
    assert parse_filter("") == []
    assert parse_filter('company != "O\\"Brien"') == [Condition("company", "!=", 'o"brien')]
    assert parse_filter('"senior engineer"') == [Condition("text", ":", "senior engineer")]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("status = HIRED", "HIRED"),
        ("salary = 5", "salary"),
        ("status = APPLIED OR status = OFFER", "OR"),
        ("status = APPLIED AND", "AND"),
        ("tags = remote", "tags"),
        ("status : APPLIED", "status"),
        ("status < APPLIED", "status"),
        ("company > b", "company"),
        ("applied_date >= yesterday", "yesterday"),
        ("update_time = 2026-01-01", "update_time"),
        ('update_time > "2026-01-01T10:00:00"', "2026-01-01T10:00:00"),
        ('company = "unterminated', "unterminated"),
        ("= x", "="),
        ("x" * 1001, "1000"),
    ],
)
def test_filter_refusals_name_the_offending_part(text: str, named: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_filter(text)
    assert err.value.reason == "INVALID_FILTER"
    assert err.value.violations[0].field == "filter"
    assert named in err.value.message


def test_order_by_takes_one_field_and_defaults_to_newest_first() -> None:
    assert parse_order_by("") == Order("create_time", True)
    assert parse_order_by("company") == Order("company", False)
    assert parse_order_by("applied_date desc") == Order("applied_date", True)
    for bad in ("salary", "company sideways", "company desc extra", "status"):
        with pytest.raises(InvalidArgument) as err:
            parse_order_by(bad)
        assert err.value.reason == "INVALID_ORDER_BY"


def test_page_tokens_are_signed_and_bound_to_their_query() -> None:
    tokens = PageTokens(b"k" * 32)
    a = PageTokens.binding("user-1", "status = APPLIED", "")
    token = tokens.encode("00001\x1fabc", a)
    assert tokens.decode(token, a) == "00001\x1fabc"
    other_query = PageTokens.binding("user-1", "", "")
    other_user = PageTokens.binding("user-2", "status = APPLIED", "")
    forged = PageTokens(b"x" * 32).encode("00001\x1fabc", a)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad, binding in (
        (token, other_query),
        (token, other_user),
        (forged, a),
        (tampered, a),
        ("garbage!!", a),
        ("", a),
    ):
        with pytest.raises(InvalidArgument) as err:
            tokens.decode(bad, binding)
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
        location="Berlin\nGermany",
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
