"""The jobs service's part of the account lifecycle: the internal UserDataService.

Only the identity service calls it (ExportUserData and DeleteUser of IdentityService), relaying
the user's own access token; the gateway has no route to it (its proto has no HTTP bindings).
The subject is always the verified caller, never an id from the request, so a user can only
ever export or erase their own data.
"""

from __future__ import annotations

import logging

from google.protobuf.timestamp_pb2 import Timestamp

from careervault.jobs.v1 import user_data_pb2 as pb
from careervault.jobs.v1 import user_data_pb2_grpc
from careervault.runtime.context import current_principal
from careervault_jobs.store import JobStore

SERVICE = "careervault.jobs.v1.UserDataService"

log = logging.getLogger(__name__)


class UserDataServicer(user_data_pb2_grpc.UserDataServiceServicer):
    def __init__(self, store: JobStore) -> None:
        self.store = store

    async def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: object
    ) -> pb.ExportUserDataResponse:
        user_id = current_principal().user_id
        reply = pb.ExportUserDataResponse(jobs=await self.store.all_jobs(user_id))
        feed = await self.store.get_feed(user_id)
        if feed is not None:
            created = Timestamp()
            created.FromNanoseconds(int(feed.create_time * 1e9))
            reply.calendar_feed.create_time.CopyFrom(created)
        return reply

    async def DeleteUserData(
        self, request: pb.DeleteUserDataRequest, context: object
    ) -> pb.DeleteUserDataResponse:
        user_id = current_principal().user_id
        deleted = await self.store.delete_user(user_id)
        # The user id is an opaque subject; the log says that an erasure happened, not whose
        # data it was beyond that id.
        log.info("user data erased", extra={"user": user_id, "deleted": deleted})
        return pb.DeleteUserDataResponse(deleted_count=deleted)
