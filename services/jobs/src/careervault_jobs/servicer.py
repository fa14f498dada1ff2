"""gRPC surface of the jobs service: validate, call the domain, map the result."""

from __future__ import annotations

from google.api.httpbody_pb2 import HttpBody
from google.protobuf.empty_pb2 import Empty

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.jobs.v1 import jobs_pb2_grpc
from careervault.runtime.context import current_principal
from careervault.runtime.errors import FieldViolation, InvalidArgument
from careervault_jobs.domain import Jobs

SERVICE = "careervault.jobs.v1.JobService"


def _require_job(request: pb.CreateJobRequest | pb.UpdateJobRequest) -> None:
    if not request.HasField("job"):
        raise InvalidArgument("job is required.", violations=[FieldViolation("job", "required")])


class JobServicer(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs

    async def CreateJob(self, request: pb.CreateJobRequest, context: object) -> pb.JobApplication:
        _require_job(request)
        return await self.jobs.create(current_principal().user_id, request.job, request.request_id)

    async def GetJob(self, request: pb.GetJobRequest, context: object) -> pb.JobApplication:
        return await self.jobs.get(current_principal().user_id, request.name)

    async def ListJobs(self, request: pb.ListJobsRequest, context: object) -> pb.ListJobsResponse:
        jobs, next_token, total = await self.jobs.list(
            current_principal().user_id,
            request.page_size,
            request.page_token,
            request.filter,
            request.order_by,
            request.view,
        )
        return pb.ListJobsResponse(jobs=jobs, next_page_token=next_token, total_size=total)

    async def UpdateJob(self, request: pb.UpdateJobRequest, context: object) -> pb.JobApplication:
        _require_job(request)
        return await self.jobs.update(
            current_principal().user_id, request.job, request.update_mask.paths
        )

    async def DeleteJob(self, request: pb.DeleteJobRequest, context: object) -> Empty:
        await self.jobs.delete(current_principal().user_id, request.name, request.etag)
        return Empty()

    async def GetJobStats(self, request: pb.GetJobStatsRequest, context: object) -> pb.JobStats:
        return await self.jobs.stats(current_principal().user_id, request.stale_days, request.weeks)

    async def ImportJobs(
        self, request: pb.ImportJobsRequest, context: object
    ) -> pb.ImportJobsResponse:
        return await self.jobs.import_jobs(
            current_principal().user_id, request.content.data, request.content.content_type
        )

    async def ExportJobs(self, request: pb.ExportJobsRequest, context: object) -> HttpBody:
        return await self.jobs.export_jobs(current_principal().user_id, request.format)

    async def GetCalendarFeed(
        self, request: pb.GetCalendarFeedRequest, context: object
    ) -> pb.CalendarFeed:
        return await self.jobs.calendar_feed(current_principal().user_id)

    async def RotateCalendarFeed(
        self, request: pb.RotateCalendarFeedRequest, context: object
    ) -> pb.CalendarFeed:
        return await self.jobs.rotate_calendar_feed(current_principal().user_id)

    async def DeleteCalendarFeed(
        self, request: pb.DeleteCalendarFeedRequest, context: object
    ) -> Empty:
        await self.jobs.delete_calendar_feed(current_principal().user_id)
        return Empty()

    async def GetCalendarIcs(self, request: pb.GetCalendarIcsRequest, context: object) -> HttpBody:
        return await self.jobs.calendar_ics(request.secret)
