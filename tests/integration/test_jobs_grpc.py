"""The jobs service through its typed gRPC stubs, as internal tools use it."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from tests.support.clients import User, job, rich

S = jpb.JobApplication.Status
pytestmark = pytest.mark.integration


def call_error(fn: object, *args: object, **kwargs: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value


def test_full_lifecycle_records_status_history(
    jobs: jobs_pb2_grpc.JobServiceStub, alice: User
) -> None:
    md = alice.metadata
    created = jobs.CreateJob(
        jpb.CreateJobRequest(
            job=job(
                "Globex",
                "Backend Engineer",
                salary=jpb.SalaryRange(
                    min=120000, max=150000, currency="USD", period=jpb.SalaryRange.YEARLY
                ),
                work_mode=jpb.JobApplication.REMOTE,
                tags=["python", "grpc"],
            )
        ),
        metadata=md,
    )
    assert created.name.startswith("jobs/") and created.etag
    assert created.status == S.APPLIED
    assert [h.status for h in created.status_history] == [S.APPLIED]
    assert created.salary.max == 150000

    moved = jobs.UpdateJob(
        jpb.UpdateJobRequest(
            job=jpb.JobApplication(name=created.name, status=S.PHONE_SCREEN, etag=created.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["status"]),
        ),
        metadata=md,
    )
    assert moved.etag != created.etag
    assert [(h.from_status, h.status) for h in moved.status_history] == [
        (S.STATUS_UNSPECIFIED, S.APPLIED),
        (S.APPLIED, S.PHONE_SCREEN),
    ]
    assert (
        moved.status_history[1].change_time.ToNanoseconds() >= created.create_time.ToNanoseconds()
    )
    assert moved.company == "Globex" and list(moved.tags) == ["python", "grpc"], (
        "unmasked fields kept"
    )

    got = jobs.GetJob(jpb.GetJobRequest(name=created.name), metadata=md)
    assert got == moved

    jobs.DeleteJob(jpb.DeleteJobRequest(name=created.name), metadata=md)
    err = rich(call_error(jobs.GetJob, jpb.GetJobRequest(name=created.name), metadata=md))
    assert err.code == grpc.StatusCode.NOT_FOUND and err.reason == "JOB_NOT_FOUND"


def test_paging_sees_each_job_exactly_once(
    jobs: jobs_pb2_grpc.JobServiceStub, fresh_user: User
) -> None:
    md = fresh_user.metadata
    made = {
        jobs.CreateJob(jpb.CreateJobRequest(job=job(f"Co{i:02d}", "Dev")), metadata=md).name
        for i in range(23)
    }
    for order in ("", "company desc", "applied_date", "update_time desc"):
        seen: list[str] = []
        token = ""
        while True:
            page = jobs.ListJobs(
                jpb.ListJobsRequest(page_size=5, page_token=token, order_by=order), metadata=md
            )
            assert page.total_size == 23
            seen += [j.name for j in page.jobs]
            token = page.next_page_token
            if not token:
                break
        assert len(seen) == 23 and set(seen) == made, order
    companies = [
        j.company
        for j in jobs.ListJobs(jpb.ListJobsRequest(order_by="company desc"), metadata=md).jobs
    ]
    assert companies == sorted(companies, reverse=True)

    first = jobs.ListJobs(jpb.ListJobsRequest(page_size=5), metadata=md)
    err = rich(
        call_error(
            jobs.ListJobs,
            jpb.ListJobsRequest(
                page_size=5, page_token=first.next_page_token, filter="status = OFFER"
            ),
            metadata=md,
        )
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and err.reason == "INVALID_PAGE_TOKEN"


def test_filters_by_status_company_and_tag(
    jobs: jobs_pb2_grpc.JobServiceStub, fresh_user: User
) -> None:
    md = fresh_user.metadata
    jobs.CreateJob(jpb.CreateJobRequest(job=job("Initech", "QA", tags=["Remote"])), metadata=md)
    jobs.CreateJob(jpb.CreateJobRequest(job=job("Initrode", "Dev", status=S.SAVED)), metadata=md)
    jobs.CreateJob(jpb.CreateJobRequest(job=job("Umbrella", "Dev", status=S.OFFER)), metadata=md)

    def names(expr: str) -> list[str]:
        reply = jobs.ListJobs(jpb.ListJobsRequest(filter=expr, order_by="company"), metadata=md)
        return [j.company for j in reply.jobs]

    assert names("status = SAVED") == ["Initrode"]
    assert names("status != SAVED") == ["Initech", "Umbrella"]
    assert names('company = "initech"') == ["Initech"]
    assert names("company : init") == ["Initech", "Initrode"]
    assert names("tags : remote") == ["Initech"]
    assert names("company : init AND status = APPLIED") == ["Initech"]
    assert names("company : 100%") == []
    err = rich(call_error(jobs.ListJobs, jpb.ListJobsRequest(filter="salary > 3"), metadata=md))
    assert err.reason == "INVALID_FILTER" and "filter" in err.violations


def test_stats_count_statuses_and_rates(
    jobs: jobs_pb2_grpc.JobServiceStub, fresh_user: User
) -> None:
    md = fresh_user.metadata
    for status in (S.SAVED, S.APPLIED, S.APPLIED, S.PHONE_SCREEN, S.OFFER, S.REJECTED):
        jobs.CreateJob(jpb.CreateJobRequest(job=job(status=status)), metadata=md)
    stats = jobs.GetJobStats(jpb.GetJobStatsRequest(), metadata=md)
    counts = {c.status: c.count for c in stats.status_counts}
    assert stats.total == 6
    assert counts[S.APPLIED] == 2 and counts[S.SAVED] == 1 and counts[S.ACCEPTED] == 0
    # Five were sent (SAVED was not); three heard back, two reached an interview, one an offer.
    assert stats.response_rate == pytest.approx(3 / 5, abs=1e-4)
    assert stats.interview_rate == pytest.approx(2 / 5, abs=1e-4)
    assert stats.offer_rate == pytest.approx(1 / 5, abs=1e-4)


def test_another_users_job_is_indistinguishable_from_a_missing_one(
    jobs: jobs_pb2_grpc.JobServiceStub, alice: User, bob: User
) -> None:
    mine = jobs.CreateJob(jpb.CreateJobRequest(job=job("Secret Co")), metadata=alice.metadata)
    missing = f"jobs/{uuid.uuid4().hex}"
    md = bob.metadata
    calls = {
        "get": lambda name: jobs.GetJob(jpb.GetJobRequest(name=name), metadata=md),
        "update": lambda name: jobs.UpdateJob(
            jpb.UpdateJobRequest(
                job=jpb.JobApplication(name=name, notes="mine now"),
                update_mask=field_mask_pb2.FieldMask(paths=["notes"]),
            ),
            metadata=md,
        ),
        "delete": lambda name: jobs.DeleteJob(jpb.DeleteJobRequest(name=name), metadata=md),
    }
    for method, fn in calls.items():
        theirs, nothing = rich(call_error(fn, mine.name)), rich(call_error(fn, missing))
        assert (
            (theirs.code, theirs.message, theirs.reason)
            == (
                nothing.code,
                nothing.message,
                nothing.reason,
            )
            == (grpc.StatusCode.NOT_FOUND, "Job application not found.", "JOB_NOT_FOUND")
        ), method
    listed = jobs.ListJobs(jpb.ListJobsRequest(filter='company = "Secret Co"'), metadata=md)
    assert list(listed.jobs) == [] and listed.total_size == 0
    assert mine.name not in {
        j.name for j in jobs.ListJobs(jpb.ListJobsRequest(page_size=200), metadata=md).jobs
    }
    still = jobs.GetJob(jpb.GetJobRequest(name=mine.name), metadata=alice.metadata)
    assert still == mine, "the owner's job is untouched"
    alice_token = jobs.ListJobs(
        jpb.ListJobsRequest(page_size=1), metadata=alice.metadata
    ).next_page_token
    if alice_token:
        err = rich(
            call_error(
                jobs.ListJobs, jpb.ListJobsRequest(page_size=1, page_token=alice_token), metadata=md
            )
        )
        assert err.reason == "INVALID_PAGE_TOKEN"


def test_stale_etag_is_aborted_and_changes_nothing(
    jobs: jobs_pb2_grpc.JobServiceStub, alice: User
) -> None:
    md = alice.metadata
    created = jobs.CreateJob(jpb.CreateJobRequest(job=job(notes="v1")), metadata=md)
    mask = field_mask_pb2.FieldMask(paths=["notes"])
    jobs.UpdateJob(
        jpb.UpdateJobRequest(
            job=jpb.JobApplication(name=created.name, notes="v2", etag=created.etag),
            update_mask=mask,
        ),
        metadata=md,
    )
    err = rich(
        call_error(
            jobs.UpdateJob,
            jpb.UpdateJobRequest(
                job=jpb.JobApplication(name=created.name, notes="v3", etag=created.etag),
                update_mask=mask,
            ),
            metadata=md,
        )
    )
    assert err.code == grpc.StatusCode.ABORTED and err.reason == "ETAG_MISMATCH"
    assert jobs.GetJob(jpb.GetJobRequest(name=created.name), metadata=md).notes == "v2"
    err = rich(
        call_error(
            jobs.DeleteJob, jpb.DeleteJobRequest(name=created.name, etag=created.etag), metadata=md
        )
    )
    assert err.code == grpc.StatusCode.ABORTED
    assert jobs.GetJob(jpb.GetJobRequest(name=created.name), metadata=md).notes == "v2"


def test_bad_input_gets_field_violations_and_stores_nothing(
    jobs: jobs_pb2_grpc.JobServiceStub, fresh_user: User
) -> None:
    md = fresh_user.metadata
    err = rich(
        call_error(
            jobs.CreateJob,
            jpb.CreateJobRequest(job=jpb.JobApplication(position="Dev", job_url="ftp://x")),
            metadata=md,
        )
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.domain == "careervault.dev"
    assert set(err.violations) == {"company", "job_url"}
    assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=md).total_size == 0

    created = jobs.CreateJob(jpb.CreateJobRequest(job=job()), metadata=md)
    for paths, field in ((["salary_text"], "update_mask"), ([], "update_mask")):
        err = rich(
            call_error(
                jobs.UpdateJob,
                jpb.UpdateJobRequest(
                    job=jpb.JobApplication(name=created.name),
                    update_mask=field_mask_pb2.FieldMask(paths=paths),
                ),
                metadata=md,
            )
        )
        assert err.code == grpc.StatusCode.INVALID_ARGUMENT and field in err.violations
    err = rich(
        call_error(
            jobs.UpdateJob,
            jpb.UpdateJobRequest(
                job=jpb.JobApplication(name=created.name, company=""),
                update_mask=field_mask_pb2.FieldMask(paths=["company"]),
            ),
            metadata=md,
        )
    )
    assert "company" in err.violations
    assert jobs.GetJob(jpb.GetJobRequest(name=created.name), metadata=md) == created
    err = rich(call_error(jobs.GetJob, jpb.GetJobRequest(name="jobs/../../etc"), metadata=md))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and err.reason == "INVALID_NAME"


def test_output_only_fields_cannot_be_forged(
    jobs: jobs_pb2_grpc.JobServiceStub, alice: User
) -> None:
    forged = job(name="jobs/" + "f" * 32, etag="mine")
    forged.status_history.add(status=S.OFFER)
    created = jobs.CreateJob(jpb.CreateJobRequest(job=forged), metadata=alice.metadata)
    assert created.name != forged.name and created.etag != "mine"
    assert [h.status for h in created.status_history] == [S.APPLIED]


def test_repeated_request_id_returns_the_first_result(
    jobs: jobs_pb2_grpc.JobServiceStub, fresh_user: User
) -> None:
    md = fresh_user.metadata
    request_id = str(uuid.uuid4())
    first = jobs.CreateJob(
        jpb.CreateJobRequest(job=job("Once"), request_id=request_id), metadata=md
    )
    again = jobs.CreateJob(
        jpb.CreateJobRequest(job=job("Once"), request_id=request_id), metadata=md
    )
    assert again == first
    assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=md).total_size == 1
    err = rich(
        call_error(
            jobs.CreateJob, jpb.CreateJobRequest(job=job(), request_id="bad id!"), metadata=md
        )
    )
    assert "request_id" in err.violations
