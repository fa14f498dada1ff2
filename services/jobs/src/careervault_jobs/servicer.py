"""gRPC surface of the jobs service: validate, call the domain, map the result."""

from __future__ import annotations

from google.api.httpbody_pb2 import HttpBody
from google.protobuf.empty_pb2 import Empty

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.jobs.v1 import jobs_pb2_grpc
from careervault.runtime.context import current_principal
from careervault.runtime.errors import FieldViolation, InvalidArgument, Unimplemented
from careervault_jobs.domain import Jobs

SERVICE = "careervault.jobs.v1.JobService"


class JobServicer(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs

    async def CreateJob(self, request: pb.CreateJobRequest, context: object) -> pb.JobApplication:
        if not request.HasField("job"):
            raise InvalidArgument(
                "job is required.", violations=[FieldViolation("job", "job is required")]
            )
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
        )
        return pb.ListJobsResponse(jobs=jobs, next_page_token=next_token, total_size=total)

    async def UpdateJob(self, request: pb.UpdateJobRequest, context: object) -> pb.JobApplication:
        if not request.HasField("job"):
            raise InvalidArgument(
                "job is required.", violations=[FieldViolation("job", "job is required")]
            )
        return await self.jobs.update(
            current_principal().user_id, request.job, request.update_mask.paths
        )

    async def DeleteJob(self, request: pb.DeleteJobRequest, context: object) -> Empty:
        await self.jobs.delete(current_principal().user_id, request.name, request.etag)
        return Empty()

    async def GetJobStats(self, request: pb.GetJobStatsRequest, context: object) -> pb.JobStats:
        return await self.jobs.stats(current_principal().user_id)

    # CSV/JSON import and export arrive with the jobs release that adds them (UNIMPLEMENTED).
    async def ImportJobs(
        self, request: pb.ImportJobsRequest, context: object
    ) -> pb.ImportJobsResponse:
        raise Unimplemented("Import is not available yet.")

    async def ExportJobs(self, request: pb.ExportJobsRequest, context: object) -> HttpBody:
        raise Unimplemented("Export is not available yet.")
