"""The production jobs store: one DynamoDB table, one partition per user (see ../../README.md).

Every application is one item holding the whole aggregate as binary proto (`doc`) next to the
attributes that keys, conditions and indexes need. Listing reads one of four local secondary
indexes, strongly consistent, in the order asked for; filters are applied here with
`records.matches`, the same reference meaning the SQLite store expresses in SQL. Writes are
conditional (optimistic concurrency on `etag`; idempotent creates and imports through pointer
items written in the same transaction). There is no Scan anywhere.

boto3 is synchronous: each operation runs in a worker thread (`asyncio.to_thread`). Throttling,
5xx answers and connection failures that outlive botocore's retries become `Unavailable`
(reason STORE_UNAVAILABLE), never INTERNAL.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import (
    Aborted,
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)
from careervault_jobs import records
from careervault_jobs.records import StatsRow
from careervault_jobs.store import Feed, ImportItem, Mutation, Page, new_etag, not_found, stale

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

    Item = dict[str, AttributeValueTypeDef]

log = logging.getLogger(__name__)
T = TypeVar("T")

# The item shape written by this code. `_upgrade` reads every older one.
SCHEMA = 1

# Listing orders: order field -> (local secondary index, its sort key attribute). The attribute
# holds exactly `records.sort_key(job, field)` (the value, then the id that breaks ties).
ORDER_INDEXES: dict[str, tuple[str, str]] = {
    "create_time": ("by_create", "k_create"),
    "update_time": ("by_update", "k_update"),
    "applied_date": ("by_applied", "k_applied"),
    "company": ("by_company", "k_company"),
}

MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit, names and values included
MAX_SORT_KEY_BYTES = 1024  # DynamoDB's limit for a sort key, index sort keys included
WRITE_ATTEMPTS = 6  # for transaction conflicts and read-modify-write races
IMPORT_CONCURRENCY = 4
BATCH_WRITE_MAX = 25  # DynamoDB's limit of requests per BatchWriteItem
ERASE_ROUNDS = 5  # partition re-reads while erasing a user whose items keep appearing

# Error codes that mean "the store cannot serve now", after botocore's own retries.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        # Operator problems (missing table, credentials, permissions): the service cannot reach
        # its data; callers may retry once it is fixed. The log says which.
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "AccessDeniedException",
    }
)
# TransactionCanceledException reasons that mean the same.
UNAVAILABLE_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


def _s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def _n(value: float) -> AttributeValueTypeDef:
    return {"N": str(value)}


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _job_key(user_id: str, job_id: str) -> Item:
    return {"PK": _s(_user_pk(user_id)), "SK": _s(f"JOB#{job_id}")}


def _req_key(user_id: str, request_id: str) -> Item:
    return {"PK": _s(_user_pk(user_id)), "SK": _s(f"REQ#{request_id}")}


def _import_key(user_id: str, key: str) -> Item:
    return {"PK": _s(_user_pk(user_id)), "SK": _s(f"IMPORT#{key}")}


def _feed_key(user_id: str) -> Item:
    return {"PK": _s(_user_pk(user_id)), "SK": _s("FEED")}


def _feed_lookup_key(secret: str) -> Item:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return {"PK": _s(f"FEED#{digest}"), "SK": _s("FEED")}


def fit_sort_key(key: str) -> str:
    """`key` within DynamoDB's 1024-byte sort key limit: the value part is cut at a character
    boundary, the separator and id kept. Only pathological values (hundreds of characters that
    casefold to several) are cut; the same cut is applied to page cursors, so paging stays exact
    and only the relative order of two such values sharing their first ~990 bytes can differ
    from SQLite's."""
    raw = key.encode()
    if len(raw) <= MAX_SORT_KEY_BYTES:
        return key
    value, sep, ident = key.rpartition(records.SEP)
    room = MAX_SORT_KEY_BYTES - len((sep + ident).encode())
    return value.encode()[:room].decode("utf-8", "ignore") + sep + ident


def _expire_at(job: pb.JobApplication, retention_seconds: float) -> int | None:
    if retention_seconds > 0 and job.status in records.CLOSED:
        return math.ceil(records.seconds(job.update_time) + retention_seconds)
    return None


def _item_size(item: Item) -> int:
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "B" in value:
            size += len(value["B"])
        elif "N" in value:
            size += len(value["N"])  # an upper bound of DynamoDB's packed number size
        else:
            size += 64  # not used for application items
    return size


def job_item(user_id: str, job: pb.JobApplication, retention_seconds: float = 0) -> Item:
    """The item an application is stored as (schema 1)."""
    job_id = records.job_id(job)
    item: Item = {
        **_job_key(user_id, job_id),
        "schema": _n(SCHEMA),
        "doc": {"B": job.SerializeToString(deterministic=True)},
        "etag": _s(job.etag),
        "status": _n(int(job.status)),
    }
    for field, (_index, attribute) in ORDER_INDEXES.items():
        item[attribute] = _s(fit_sort_key(records.sort_key(job, field)))
    expire_at = _expire_at(job, retention_seconds)
    if expire_at is not None:
        item["expire_at"] = _n(expire_at)
    size = _item_size(item)
    if size > MAX_ITEM_BYTES:
        # The domain bounds every field so that this is not reached; this is the last guard.
        raise InvalidArgument(
            "This application is too large to store; shorten the description or notes.",
            reason="JOB_TOO_LARGE",
            violations=[FieldViolation("job", f"{size} bytes stored, at most {MAX_ITEM_BYTES}")],
        )
    return item


def _upgrade(item: Item) -> pb.JobApplication:
    """Reads an application item of any schema version this code knows.

    Schema 1 (the first release): `doc` holds the binary proto. A future shape adds a branch
    here that converts the older one; writes always use SCHEMA, so items move forward as they
    are written (a backfill job rewrites the rest when derived attributes change).
    """
    schema = int(item["schema"]["N"]) if "schema" in item else 1
    if schema == 1:
        return pb.JobApplication.FromString(item["doc"]["B"])
    raise ValueError(f"application item has schema {schema}; this build reads up to {SCHEMA}")


def _live(item: Item, now: float) -> bool:
    """False for an item whose TTL has passed: DynamoDB deletes those within days, not at once,
    so reads treat them as already gone."""
    return "expire_at" not in item or float(item["expire_at"]["N"]) > now


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reasons(error: ClientError) -> list[str]:
    reasons: Any = error.response.get("CancellationReasons") or []
    return [str(r.get("Code") or "None") for r in reasons]


def _unavailable() -> Unavailable:
    return Unavailable(
        "The job store is unavailable at the moment; try again shortly.",
        reason="STORE_UNAVAILABLE",
    )


def _conflict_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * 2**attempt))


class DynamoJobStore:
    def __init__(
        self,
        table_name: str,
        *,
        create_table: bool,
        endpoint_url: str | None = None,
        region: str | None = None,
        retention_seconds: float = 0,
        max_attempts: int = 8,
    ) -> None:
        """`endpoint_url` overrides AWS_ENDPOINT_URL_DYNAMODB (which boto3 reads by itself);
        `retention_seconds` > 0 lets DynamoDB's TTL delete closed applications that long after
        their last change; `max_attempts` is botocore's total per call (tests lower it)."""
        self.table = table_name
        self.retention_seconds = retention_seconds
        config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=2,
            read_timeout=5,
            max_pool_connections=32,
        )
        self.client: DynamoDBClient = boto3.session.Session().client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, config=config
        )
        if create_table:
            self._guarded(self._ensure_table)

    def close(self) -> None:
        self.client.close()

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._guarded, work)

    def _guarded(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except ClientError as e:
            code = _code(e)
            status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in UNAVAILABLE_CODES or status >= 500:
                log.warning("DynamoDB %s failed: %s", e.operation_name, e)
                raise _unavailable() from e
            if code == "ItemCollectionSizeLimitExceededException":
                log.error("user partition reached the 10 GB item-collection limit: %s", e)
                raise ResourceExhausted(
                    "Your account reached its storage limit.", reason="STORAGE_LIMIT"
                ) from e
            raise
        except ParamValidationError:
            raise
        except BotoCoreError as e:  # connection refused or reset, timeouts, credentials
            log.warning("DynamoDB call failed: %s", e)
            raise _unavailable() from e

    def _cancelled(self, error: ClientError) -> list[str]:
        """The per-action reasons of a cancelled transaction; Unavailable when throttled."""
        if _code(error) != "TransactionCanceledException":
            raise error
        reasons = _reasons(error)
        if any(r in UNAVAILABLE_REASONS for r in reasons):
            log.warning("DynamoDB transaction throttled: %s", error)
            raise _unavailable() from error
        return reasons

    def _get(self, key: Item, projection: str | None = None) -> Item | None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": key, "ConsistentRead": True}
        if projection:
            kwargs["ProjectionExpression"] = projection
        return self.client.get_item(**kwargs).get("Item")

    def _live_job(self, user_id: str, job_id: str) -> pb.JobApplication | None:
        item = self._get(_job_key(user_id, job_id))
        if item is None or not _live(item, time.time()):
            return None
        return _upgrade(item)

    def _items(self, **kwargs: Any) -> Iterator[Item]:
        """Every item of a Query, following LastEvaluatedKey."""
        kwargs = {"TableName": self.table, "ConsistentRead": True, **kwargs}
        while True:
            response = self.client.query(**kwargs)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _jobs_query(self, user_id: str, index: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Query arguments for the user's live application items: on an order index (only
        application items have its attribute), or on the table by the JOB# prefix."""
        names: dict[str, str] = {"#pk": "PK", "#exp": "expire_at"}
        values: dict[str, AttributeValueTypeDef] = {
            ":pk": _s(_user_pk(user_id)),
            ":now": _n(int(time.time())),
        }
        if index is None:
            names["#sk"] = "SK"
            values[":job"] = _s("JOB#")
            condition = "#pk = :pk AND begins_with(#sk, :job)"
        else:
            condition = "#pk = :pk"
            kwargs["IndexName"] = index
        return {
            "KeyConditionExpression": condition,
            "FilterExpression": "attribute_not_exists(#exp) OR #exp > :now",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            **kwargs,
        }

    # -- the table --------------------------------------------------------------------------

    def _ensure_table(self) -> None:
        try:
            self.client.describe_table(TableName=self.table)
        except ClientError as e:
            if _code(e) != "ResourceNotFoundException":
                raise
            self._create_table()
        self.client.get_waiter("table_exists").wait(
            TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        ttl = self.client.describe_time_to_live(TableName=self.table)
        if ttl.get("TimeToLiveDescription", {}).get("TimeToLiveStatus") not in (
            "ENABLED",
            "ENABLING",
        ):
            try:
                self.client.update_time_to_live(
                    TableName=self.table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expire_at"},
                )
            except ClientError as e:  # another replica enabled it first
                if _code(e) != "ValidationException":
                    raise

    def _create_table(self) -> None:
        log.info("creating DynamoDB table %s", self.table)
        try:
            self.client.create_table(
                TableName=self.table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": name, "AttributeType": "S"}
                    for name in ("PK", "SK", *(a for _i, a in ORDER_INDEXES.values()))
                ],
                KeySchema=[
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
                LocalSecondaryIndexes=[
                    {
                        "IndexName": index,
                        "KeySchema": [
                            {"AttributeName": "PK", "KeyType": "HASH"},
                            {"AttributeName": attribute, "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                    for index, attribute in ORDER_INDEXES.values()
                ],
            )
        except ClientError as e:  # another replica is creating it
            if _code(e) != "ResourceInUseException":
                raise

    # -- applications -----------------------------------------------------------------------

    async def create(
        self, user_id: str, job: pb.JobApplication, request_id: str, request_ttl: float
    ) -> pb.JobApplication:
        item = job_item(user_id, job, self.retention_seconds)
        if not request_id:
            return await self._run(lambda: self._put_new(item, job))
        return await self._run(
            lambda: self._create_once(user_id, item, job, request_id, request_ttl)
        )

    def _put_new(self, item: Item, job: pb.JobApplication) -> pb.JobApplication:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as e:
            if _code(e) == "ConditionalCheckFailedException":
                raise AlreadyExists("This application exists already.") from e
            raise
        return job

    def _create_once(
        self,
        user_id: str,
        item: Item,
        job: pb.JobApplication,
        request_id: str,
        request_ttl: float,
    ) -> pb.JobApplication:
        key = _req_key(user_id, request_id)
        # No pointer yet, or only an expired one (TTL may not have removed it yet); after a
        # pointer to a deleted application was seen, exactly that pointer.
        dangling: AttributeValueTypeDef | None = None
        for attempt in range(WRITE_ATTEMPTS):
            now = time.time()
            pointer: Item = {
                **key,
                "job_id": _s(records.job_id(job)),
                "expire_at": _n(math.ceil(now + request_ttl)),
            }
            put_pointer: dict[str, Any] = {"TableName": self.table, "Item": pointer}
            if dangling is None:
                put_pointer["ConditionExpression"] = "attribute_not_exists(#pk) OR #exp <= :now"
                put_pointer["ExpressionAttributeNames"] = {"#pk": "PK", "#exp": "expire_at"}
                put_pointer["ExpressionAttributeValues"] = {":now": _n(int(now))}
            else:
                put_pointer["ConditionExpression"] = "#job = :job"
                put_pointer["ExpressionAttributeNames"] = {"#job": "job_id"}
                put_pointer["ExpressionAttributeValues"] = {":job": dangling}
            actions: list[TransactWriteItemTypeDef] = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {"Put": put_pointer},  # type: ignore[typeddict-item]
            ]
            try:
                self.client.transact_write_items(TransactItems=actions)
                return job
            except ClientError as e:
                reasons = self._cancelled(e)
            if reasons[0] == "ConditionalCheckFailed":
                raise AlreadyExists("This application exists already.")
            if reasons[1] != "ConditionalCheckFailed":  # a conflict with a concurrent write
                _conflict_pause(attempt)
                continue
            seen = self._get(key)
            if seen is None or not _live(seen, time.time()):
                dangling = None
                continue
            earlier = self._live_job(user_id, seen["job_id"]["S"])
            if earlier is not None:
                return earlier
            # The first result was deleted since: this request creates anew.
            dangling = seen["job_id"]
        raise Aborted("Too many concurrent changes; try again.", reason="CONCURRENT_CHANGE")

    async def get(self, user_id: str, job_id: str) -> pb.JobApplication | None:
        return await self._run(lambda: self._live_job(user_id, job_id))

    async def query(self, user_id: str, page: Page) -> tuple[list[pb.JobApplication], int]:
        return await self._run(lambda: self._query(user_id, page))

    def _query(self, user_id: str, page: Page) -> tuple[list[pb.JobApplication], int]:
        index, attribute = ORDER_INDEXES[page.order.field]
        descending = page.order.descending
        after = fit_sort_key(page.after) if page.after else ""
        limit = max(page.limit, 0)
        jobs: list[pb.JobApplication] = []
        if not page.conditions:
            # The page: from the cursor on, in index order, no more than needed.
            if limit:
                kwargs = self._jobs_query(
                    user_id,
                    index,
                    ScanIndexForward=not descending,
                    ProjectionExpression="#doc, #schema",
                    Limit=limit,
                )
                kwargs["ExpressionAttributeNames"].update({"#doc": "doc", "#schema": "schema"})
                if after:
                    kwargs["KeyConditionExpression"] += (
                        f" AND #k {'<' if descending else '>'} :after"
                    )
                    kwargs["ExpressionAttributeNames"]["#k"] = attribute
                    kwargs["ExpressionAttributeValues"][":after"] = _s(after)
                for item in self._items(**kwargs):
                    jobs.append(_upgrade(item))
                    if len(jobs) >= limit:
                        break
            # The total: a count over the same index (nothing but the count comes back).
            total = 0
            kwargs = self._jobs_query(user_id, index, Select="COUNT")
            while True:
                response = self.client.query(TableName=self.table, ConsistentRead=True, **kwargs)
                total += int(response.get("Count", 0))
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
            return jobs, total
        # With a filter, the total needs every application of the user read and matched anyway:
        # one ordered pass over the index gives the total and the page together.
        total = 0
        kwargs = self._jobs_query(
            user_id,
            index,
            ScanIndexForward=not descending,
            ProjectionExpression="#doc, #schema, #k",
        )
        kwargs["ExpressionAttributeNames"].update(
            {"#doc": "doc", "#schema": "schema", "#k": attribute}
        )
        for item in self._items(**kwargs):
            job = _upgrade(item)
            if not records.matches(job, page.conditions):
                continue
            total += 1
            if len(jobs) < limit:
                key = item[attribute]["S"]
                if not after or (key < after if descending else key > after):
                    jobs.append(job)
        return jobs, total

    async def update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication:
        return await self._run(lambda: self._update(user_id, job_id, expected_etag, mutate))

    def _update(
        self, user_id: str, job_id: str, expected_etag: str, mutate: Mutation
    ) -> pb.JobApplication:
        current_etag = ""
        for _attempt in range(WRITE_ATTEMPTS):
            current = self._live_job(user_id, job_id)
            if current is None:
                raise not_found()
            current_etag = current.etag
            if expected_etag and expected_etag != current_etag:
                raise stale(current_etag)
            updated = mutate(current)
            updated.name = f"jobs/{job_id}"
            updated.etag = new_etag()
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=job_item(user_id, updated, self.retention_seconds),
                    ConditionExpression="#etag = :etag",
                    ExpressionAttributeNames={"#etag": "etag"},
                    ExpressionAttributeValues={":etag": _s(current_etag)},
                )
                return updated
            except ClientError as e:
                if _code(e) != "ConditionalCheckFailedException":
                    raise
            # Someone else wrote between our read and our write. A caller who named an etag
            # has lost; one who did not gets the mutation applied to the newer version.
            if expected_etag:
                latest = self._live_job(user_id, job_id)
                if latest is None:
                    raise not_found()
                raise stale(latest.etag)
        raise stale(current_etag)

    async def delete(self, user_id: str, job_id: str, expected_etag: str) -> None:
        await self._run(lambda: self._delete(user_id, job_id, expected_etag))

    def _delete(self, user_id: str, job_id: str, expected_etag: str) -> None:
        condition = "attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now)"
        names = {"#pk": "PK", "#exp": "expire_at"}
        values: dict[str, AttributeValueTypeDef] = {":now": _n(int(time.time()))}
        if expected_etag:
            condition += " AND #etag = :etag"
            names["#etag"] = "etag"
            values[":etag"] = _s(expected_etag)
        try:
            # Its REQ# and IMPORT# pointers stay: a pointer to a missing application counts as
            # no pointer (a repeated create or import makes a new one), and REQ# ones expire.
            self.client.delete_item(
                TableName=self.table,
                Key=_job_key(user_id, job_id),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as e:
            if _code(e) != "ConditionalCheckFailedException":
                raise
            current = self._live_job(user_id, job_id)
            if current is None:
                raise not_found() from None
            raise stale(current.etag) from None

    async def import_jobs(
        self, user_id: str, items: Sequence[ImportItem]
    ) -> tuple[list[pb.JobApplication], int]:
        # The first row with a key wins; later rows with the same key are duplicates of it.
        firsts: list[ImportItem] = []
        seen: set[str] = set()
        for item in items:
            if item.key not in seen:
                seen.add(item.key)
                firsts.append(item)
        duplicates = len(items) - len(firsts)
        limit = asyncio.Semaphore(IMPORT_CONCURRENCY)

        async def one(item: ImportItem) -> pb.JobApplication | None:
            async with limit:
                return await self._run(lambda: self._import_one(user_id, item))

        results = await asyncio.gather(*(one(item) for item in firsts))
        created = [job for job in results if job is not None]
        return created, duplicates + len(results) - len(created)

    def _import_one(self, user_id: str, item: ImportItem) -> pb.JobApplication | None:
        """Each row is its own transaction: the IMPORT# pointer and the application together."""
        key = _import_key(user_id, item.key)
        job_row = job_item(user_id, item.job, self.retention_seconds)
        condition = "attribute_not_exists(#pk)"
        names = {"#pk": "PK"}
        values: dict[str, AttributeValueTypeDef] = {}
        for attempt in range(WRITE_ATTEMPTS):
            pointer: Item = {**key, "job_id": _s(records.job_id(item.job))}
            put_pointer: dict[str, Any] = {
                "TableName": self.table,
                "Item": pointer,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
            }
            if values:
                put_pointer["ExpressionAttributeValues"] = values
            actions: list[TransactWriteItemTypeDef] = [
                {"Put": put_pointer},  # type: ignore[typeddict-item]
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": job_row,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
            try:
                self.client.transact_write_items(TransactItems=actions)
                return item.job
            except ClientError as e:
                reasons = self._cancelled(e)
            if reasons[1] == "ConditionalCheckFailed":
                raise AlreadyExists("This application exists already.")
            if reasons[0] != "ConditionalCheckFailed":
                _conflict_pause(attempt)
                continue
            seen = self._get(key)
            if seen is None:
                condition, names, values = "attribute_not_exists(#pk)", {"#pk": "PK"}, {}
                continue
            if self._live_job(user_id, seen["job_id"]["S"]) is not None:
                return None
            # Imported before, and deleted since: import it again.
            condition, names, values = "#job = :job", {"#job": "job_id"}, {":job": seen["job_id"]}
        raise Aborted("Too many concurrent changes; try again.", reason="CONCURRENT_CHANGE")

    async def all_jobs(self, user_id: str) -> list[pb.JobApplication]:
        def work() -> list[pb.JobApplication]:
            kwargs = self._jobs_query(user_id, "by_create", ProjectionExpression="#doc, #schema")
            kwargs["ExpressionAttributeNames"].update({"#doc": "doc", "#schema": "schema"})
            return [_upgrade(item) for item in self._items(**kwargs)]

        return await self._run(work)

    async def stats_rows(self, user_id: str) -> list[StatsRow]:
        def work() -> list[StatsRow]:
            kwargs = self._jobs_query(user_id, ProjectionExpression="#doc, #schema")
            kwargs["ExpressionAttributeNames"].update({"#doc": "doc", "#schema": "schema"})
            return [StatsRow.of(_upgrade(item)) for item in self._items(**kwargs)]

        return await self._run(work)

    # -- calendar feeds ---------------------------------------------------------------------

    async def get_feed(self, user_id: str) -> Feed | None:
        def work() -> Feed | None:
            item = self._get(_feed_key(user_id))
            if item is None:
                return None
            return Feed(item["secret"]["S"], float(item["create_time"]["N"]))

        return await self._run(work)

    async def put_feed(self, user_id: str, feed: Feed) -> None:
        await self._run(lambda: self._put_feed(user_id, feed))

    def _put_feed(self, user_id: str, feed: Feed) -> None:
        owner: Item = {**_feed_lookup_key(feed.secret), "user_id": _s(user_id)}
        for attempt in range(WRITE_ATTEMPTS):
            current = self._get(_feed_key(user_id))
            old = current["secret"]["S"] if current else None
            put_feed: dict[str, Any] = {
                "TableName": self.table,
                "Item": {
                    **_feed_key(user_id),
                    "secret": _s(feed.secret),
                    "create_time": _n(feed.create_time),
                },
            }
            if old is None:
                put_feed["ConditionExpression"] = "attribute_not_exists(PK)"
            else:
                put_feed["ConditionExpression"] = "#secret = :old"
                put_feed["ExpressionAttributeNames"] = {"#secret": "secret"}
                put_feed["ExpressionAttributeValues"] = {":old": _s(old)}
            actions: list[TransactWriteItemTypeDef] = [
                {"Put": put_feed},  # type: ignore[typeddict-item]
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": owner,
                        "ConditionExpression": "attribute_not_exists(PK) OR #user = :user",
                        "ExpressionAttributeNames": {"#user": "user_id"},
                        "ExpressionAttributeValues": {":user": _s(user_id)},
                    }
                },
            ]
            if old is not None and old != feed.secret:
                # Revoke the old secret in the same transaction.
                actions.append({"Delete": {"TableName": self.table, "Key": _feed_lookup_key(old)}})
            try:
                self.client.transact_write_items(TransactItems=actions)
                return
            except ClientError as e:
                reasons = self._cancelled(e)
            if reasons[1] == "ConditionalCheckFailed":  # 256-bit secrets: not expected
                raise AlreadyExists("This feed secret is taken; make another.")
            _conflict_pause(attempt)  # the feed changed between our read and write
        raise Aborted("Too many concurrent changes; try again.", reason="CONCURRENT_CHANGE")

    async def delete_feed(self, user_id: str) -> None:
        await self._run(lambda: self._delete_feed(user_id))

    def _delete_feed(self, user_id: str) -> None:
        for attempt in range(WRITE_ATTEMPTS):
            current = self._get(_feed_key(user_id))
            if current is None:
                return
            secret = current["secret"]["S"]
            try:
                self.client.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": self.table,
                                "Key": _feed_key(user_id),
                                "ConditionExpression": "#secret = :old",
                                "ExpressionAttributeNames": {"#secret": "secret"},
                                "ExpressionAttributeValues": {":old": _s(secret)},
                            }
                        },
                        {"Delete": {"TableName": self.table, "Key": _feed_lookup_key(secret)}},
                    ]
                )
                return
            except ClientError as e:
                self._cancelled(e)
            _conflict_pause(attempt)
        raise Aborted("Too many concurrent changes; try again.", reason="CONCURRENT_CHANGE")

    async def feed_owner(self, secret: str) -> str | None:
        def work() -> str | None:
            if not secret:
                return None
            item = self._get(_feed_lookup_key(secret))
            return item["user_id"]["S"] if item else None

        return await self._run(work)

    async def purge_closed(self, before: float) -> int:
        """Nothing to do here: with `retention_seconds` > 0 every write of a closed application
        sets its `expire_at`, and DynamoDB's TTL deletes it (reads hide it from that moment)."""
        return 0

    # -- the account lifecycle --------------------------------------------------------------

    async def delete_user(self, user_id: str) -> int:
        return await self._run(lambda: self._delete_user(user_id))

    def _delete_user(self, user_id: str) -> int:
        """Reads the user's partition (consistent Query, keys only), deletes the feed's lookup
        item, then every item of the partition in BatchWriteItem batches; then reads again, so
        that an item written meanwhile (a create racing the erasure) goes too. Items of expired
        TTL that DynamoDB has not removed yet are deleted like the others.

        Crash-safe and idempotent: the lookup goes before the FEED item that names it, so an
        interrupted run leaves the FEED item for the retry to find, never an orphaned lookup
        that would still resolve the secret to this user. A repeat finds nothing and returns 0.
        """
        deleted = 0
        for _round in range(ERASE_ROUNDS):
            keys: list[Item] = []
            lookups: list[Item] = []
            jobs = 0
            for item in self._items(
                KeyConditionExpression="#pk = :pk",
                ProjectionExpression="#pk, #sk, #secret",
                ExpressionAttributeNames={"#pk": "PK", "#sk": "SK", "#secret": "secret"},
                ExpressionAttributeValues={":pk": _s(_user_pk(user_id))},
            ):
                keys.append({"PK": item["PK"], "SK": item["SK"]})
                sort_key = item["SK"]["S"]
                if sort_key == "FEED" and "secret" in item:
                    lookups.append(_feed_lookup_key(item["secret"]["S"]))
                elif sort_key.startswith("JOB#"):
                    jobs += 1
            if not keys:
                return deleted
            for lookup in lookups:
                try:
                    # Only this user's: the lookup of a (never expected) colliding secret stays.
                    self.client.delete_item(
                        TableName=self.table,
                        Key=lookup,
                        ConditionExpression="attribute_not_exists(PK) OR #user = :user",
                        ExpressionAttributeNames={"#user": "user_id"},
                        ExpressionAttributeValues={":user": _s(user_id)},
                    )
                except ClientError as e:
                    if _code(e) != "ConditionalCheckFailedException":
                        raise
            self._batch_delete(keys)
            deleted += jobs
        raise Aborted(
            "The account's data kept changing while it was erased; try again.",
            reason="CONCURRENT_CHANGE",
        )

    def _batch_delete(self, keys: Sequence[Item]) -> None:
        """Deletes the items, 25 per BatchWriteItem, resending what DynamoDB left unprocessed
        (with backoff); Unavailable if some are still left after WRITE_ATTEMPTS."""
        for start in range(0, len(keys), BATCH_WRITE_MAX):
            pending: list[Any] = [
                {"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_MAX]
            ]
            for attempt in range(WRITE_ATTEMPTS):
                response = self.client.batch_write_item(RequestItems={self.table: pending})
                pending = list(response.get("UnprocessedItems", {}).get(self.table, []))
                if not pending:
                    break
                _conflict_pause(attempt)
            else:
                log.warning("DynamoDB left %d deletes unprocessed", len(pending))
                raise _unavailable()
