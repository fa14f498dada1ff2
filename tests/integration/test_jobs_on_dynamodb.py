"""The same REST journeys through Envoy with the jobs service on DynamoDB (a real moto server
speaking DynamoDB's wire protocol), chosen by configuration only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.render import RATE_LIMITS_OFF
from gateway.stack import Stack
from tests.integration.test_jobs_rest_features import (
    test_a_spreadsheet_imports_once_and_reports_bad_rows,
    test_export_then_import_into_a_fresh_account_loses_and_doubles_nothing,
    test_stats_report_the_funnel_and_weeks,
    test_the_calendar_feed_is_private_and_revocable,
)
from tests.integration.test_rest_gateway import (
    test_a_new_users_whole_journey,
    test_errors_map_to_http_statuses_with_json_bodies,
)
from tests.support.moto import MotoServer, dynamo_env

pytestmark = pytest.mark.integration

__all__ = [
    "test_a_new_users_whole_journey",
    "test_a_spreadsheet_imports_once_and_reports_bad_rows",
    "test_errors_map_to_http_statuses_with_json_bodies",
    "test_export_then_import_into_a_fresh_account_loses_and_doubles_nothing",
    "test_stats_report_the_funnel_and_weeks",
    "test_the_calendar_feed_is_private_and_revocable",
]


@pytest.fixture(scope="module")
def dynamo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with MotoServer() as moto:
        env = {
            **dynamo_env(moto.endpoint),
            "CAREERVAULT_JOBS_STORE": "dynamodb",
            "CAREERVAULT_DYNAMODB_TABLE": "careervault-jobs-test",
            "CAREERVAULT_DYNAMODB_CREATE_TABLE": "1",
            "CAREERVAULT_PAGE_TOKEN_SECRET": secrets.token_urlsafe(32),
            **RATE_LIMITS_OFF,
        }
        data_dir: Path = tmp_path_factory.mktemp("dynamo-stack")
        stack = Stack.on_free_ports(data_dir, ("identity", "jobs"), env=env)
        with stack:
            # Nothing of the jobs service's data is in the data dir: it lives in DynamoDB.
            assert not (data_dir / "jobs" / "jobs.db").exists()
            yield stack


@pytest.fixture(scope="module")
def api(dynamo_stack: Stack) -> Iterator[httpx.Client]:
    """Overrides the gateway tests' `api`: the imported tests above run against this stack."""
    with httpx.Client(base_url=dynamo_stack.url, timeout=30) as client:
        yield client
