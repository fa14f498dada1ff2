"""The REST API's OpenAPI document: valid OpenAPI 3.1, complete, and served by the gateway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from careervault.runtime.public import PUBLIC_METHODS
from gateway.render import OPENAPI_PATH, load_bindings
from gateway.stack import Stack
from scripts import gen_openapi

DESCRIPTOR = Path(__file__).resolve().parents[2] / "build" / "careervault.pb"
SERVICES = ("identity", "jobs", "extraction", "ai")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return gen_openapi.document(gen_openapi.load(DESCRIPTOR))


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, verb, op) for path, ops in doc["paths"].items() for verb, op in ops.items()]


def test_the_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    OPENAPI_31_VALIDATOR.validate(doc)
    for name, schema in doc["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    # Every reference resolves.
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        section, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in doc["components"][section], ref


def test_every_annotated_rpc_is_an_operation(doc: dict[str, Any]) -> None:
    bindings = load_bindings(DESCRIPTOR, SERVICES)
    documented = {(op["x-grpc-method"], verb.upper()) for _, verb, op in _operations(doc)}
    expected = {
        ("/" + b.method.rsplit(".", 1)[0] + "/" + b.method.rsplit(".", 1)[1], b.verb)
        for b in bindings
    }
    assert documented == expected
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids))


def test_paths_parameters_and_bodies_follow_the_http_rules(doc: dict[str, Any]) -> None:
    paths = doc["paths"]
    get_job = paths["/v1/jobs/{job}"]["get"]
    assert [(p["name"], p["in"]) for p in get_job["parameters"]] == [("job", "path")]
    # `body: "job"` with `job.name` in the path: the body is the job minus its name, and the
    # request's other fields are query parameters.
    update = paths["/v1/jobs/{job}"]["patch"]
    body = update["requestBody"]["content"]["application/json"]["schema"]
    assert "name" not in body["properties"] and "company" in body["properties"]
    assert {p["name"] for p in update["parameters"] if p["in"] == "query"} == {"updateMask"}
    # GET: every field a query parameter, by JSON name.
    list_jobs = paths["/v1/jobs"]["get"]
    parameters = {p["name"]: p for p in list_jobs["parameters"]}
    assert set(parameters) == {"pageSize", "pageToken", "filter", "orderBy", "view"}
    # An enum parameter takes its value names.
    ref = parameters["view"]["schema"]["$ref"].removeprefix("#/components/schemas/")
    assert {"JOB_VIEW_BASIC", "JOB_VIEW_FULL"} <= set(doc["components"]["schemas"][ref]["enum"])
    # `{name=users/me}` has no wildcard: a literal path.
    assert "/v1/users/me" in paths and "/v1/users/me:changePassword" in paths
    # Raw bodies and raw responses carry their media types.
    assert "text/csv" in paths["/v1/jobs:import"]["post"]["requestBody"]["content"]
    assert (
        "text/calendar"
        in (paths["/v1/calendars/{secret}/careervault.ics"]["get"]["responses"]["200"]["content"])
    )
    chat = paths["/v1/assistant:chat"]["post"]["responses"]["200"]["content"]["application/json"]
    assert chat["x-stream"] == "ndjson"


def test_json_mapping_and_field_behavior(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    job = schemas["careervault.jobs.v1.JobApplication"]
    assert job["required"] == ["company", "position"]
    assert job["additionalProperties"] is False
    props = job["properties"]
    assert props["createTime"]["format"] == "date-time" and props["createTime"]["readOnly"]
    assert props["statusHistory"]["readOnly"] and "jobUrl" in props
    assert schemas["careervault.jobs.v1.JobApplication.Status"]["enum"][:2] == [
        "STATUS_UNSPECIFIED", "SAVED"
    ]  # fmt: skip
    assert schemas["careervault.identity.v1.SignInRequest"]["properties"]["password"]["writeOnly"]
    assert set(schemas["google.rpc.Status"]["properties"]) == {"code", "message", "details"}


def test_security_bearer_jwt_except_the_public_methods(doc: dict[str, Any]) -> None:
    assert doc["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"
    assert doc["security"] == [{"bearerAuth": []}]
    for _, _, op in _operations(doc):
        public = op["x-grpc-method"] in PUBLIC_METHODS
        assert ("security" in op and op["security"] == []) == public, op["operationId"]
        assert op["responses"]["default"] == {"$ref": "#/components/responses/Error"}


def test_gen_writes_the_same_document_as_the_gateway_serves(doc: dict[str, Any]) -> None:
    built = Path(__file__).resolve().parents[2] / "build" / "openapi.json"
    assert json.loads(built.read_text()) == doc, "build/openapi.json is stale: run make gen"


@pytest.mark.integration
def test_the_gateway_serves_the_document_without_a_token(stack: Stack, doc: dict[str, Any]) -> None:
    r = httpx.get(stack.url + OPENAPI_PATH, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == doc
    assert httpx.head(stack.url + OPENAPI_PATH, timeout=10).status_code == 200
