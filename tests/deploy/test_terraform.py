"""deploy/terraform, checked without a terraform binary (none can run on this machine).

- Every .tf file parses (python-hcl2), and the stack is consistent the way `terraform validate`
  would check it: every var., local., module. and resource reference is declared, every module
  call passes the variables its module declares (all the required ones), every module output
  used exists, every variable has a type and a description, and terraform.tfvars.example sets
  every required variable.
- checkov (pinned in tools/checkov, its own uv project and lock) reports no failed check and no
  parsing error; every skip is a `#checkov:skip=CKV_...:reason` comment in the code with a reason.
- The stack deploys what the code expects: one ECS service and task definition per service of
  SERVICE_PORTS on its port, the same uid and health check as its image; environment variables
  that the settings classes read, with values they accept; *_ADDRESS settings and the gateway's
  upstreams on the Service Connect names (<service>.careervault.local:<port>, the names of the
  production gateway image); the DynamoDB table exactly as dynamo_store.py creates it; the
  Cognito app client with the auth flows cognito.py uses; task roles that allow exactly the AWS
  calls the code makes.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import hcl2
import httpx
import pytest
import yaml
from botocore.exceptions import ClientError

from careervault.runtime.settings import SERVICE_PORTS
from careervault_jobs.settings import JobsSettings
from gateway.stack import Stack
from tests.deploy.docker_files import (
    GATEWAY_DOCKERFILE,
    GATEWAY_PORT,
    ROOT,
    SERVICE_DOCKERFILE,
    discovery_name,
    env_names,
    gateway_env_names,
    parse_dockerfile,
    settings_class,
)
from tests.support.clients import User

TF = ROOT / "deploy" / "terraform"
MODULES = TF / "modules"
CHECKOV_PROJECT = ROOT / "tools" / "checkov"
CHECKOV_BIN = CHECKOV_PROJECT / ".venv" / "bin" / "checkov"
JOBS_STORE = ROOT / "services" / "jobs" / "src" / "careervault_jobs" / "dynamo_store.py"
COGNITO = ROOT / "services" / "identity" / "src" / "careervault_identity" / "cognito.py"

GRPC_SERVICES = tuple(SERVICE_PORTS)
# Names a task gets that are not settings fields: boto3's region and Python's temp directory.
NON_SETTINGS_NAMES = {"AWS_REGION", "TMPDIR"}
# Module call arguments that are Terraform's own, not the module's variables.
META_ARGUMENTS = {"source", "version", "for_each", "count", "depends_on", "providers"}
# dynamo_store.py calls only made by `_ensure_table` (CAREERVAULT_DYNAMODB_CREATE_TABLE=true, for
# local use), which the production task role does not need.
TABLE_SETUP_CALLS = {
    "create_table",
    "describe_table",
    "describe_time_to_live",
    "update_time_to_live",
}
CLIENT_HOUSEKEEPING = {"close", "get_waiter"}
# TransactWriteItems is authorised per action inside it.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
    "ConditionCheck": "ConditionCheckItem",
}
# Cognito operations that Cognito authorises with the app client and the user's own token, not
# IAM ("Amazon Cognito doesn't evaluate IAM policies in requests for this API operation"). A new
# call in cognito.py must be added here or to the identity task role.
COGNITO_PUBLIC_CALLS = {
    "associate_software_token",
    "change_password",
    "confirm_forgot_password",
    "confirm_sign_up",
    "delete_user",
    "forgot_password",
    "get_user",
    "global_sign_out",
    "initiate_auth",
    "resend_confirmation_code",
    "respond_to_auth_challenge",
    "revoke_token",
    "set_user_mfa_preference",
    "sign_up",
    "update_user_attributes",
    "verify_software_token",
    "verify_user_attribute",
}
# Values of environment variables that Terraform only knows at apply time, for the settings
# check: what such a value looks like.
APPLY_TIME_EXAMPLES = {
    "COGNITO_USER_POOL_ID": "eu-west-1_Example1",
    "COGNITO_CLIENT_ID": "exampleappclientid0000000a",
    "CAREERVAULT_DYNAMODB_TABLE": "careervault-prod-jobs",
    "CAREERVAULT_EXTRACTION_WORKERS": "1",
}
SECRET_EXAMPLE = "s" * 64


# ---------------------------------------------------------------------------------------------
# Reading the configuration


def tf_files() -> list[Path]:
    return sorted(TF.rglob("*.tf"))


def module_dirs() -> list[Path]:
    return [TF, *sorted(p for p in MODULES.iterdir() if p.is_dir())]


@cache
def load(path: Path) -> dict[str, Any]:
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, with_comments=False, explicit_blocks=False
    )
    with path.open() as f:
        return hcl2.load(f, serialization_options=options)


def blocks(directory: Path, kind: str) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(labels, body) of every `kind` block (resource, data, module, variable, output) in the
    .tf files of one module directory."""
    depth = {"resource": 2, "data": 2}.get(kind, 1)
    for path in sorted(directory.glob("*.tf")):
        for item in load(path).get(kind, []):
            yield from _labelled(item, depth, ())


def _labelled(
    item: dict[str, Any], depth: int, labels: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for label, value in item.items():
        if depth == 1:
            yield (*labels, label), value
        else:
            yield from _labelled(value, depth - 1, (*labels, label))


def block(directory: Path, kind: str, *labels: str) -> dict[str, Any]:
    found = [body for names, body in blocks(directory, kind) if names == labels]
    assert len(found) == 1, f"{kind} {' '.join(labels)} in {directory}: found {len(found)}"
    return found[0]


def locals_of(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for item in load(path).get("locals", []):
            duplicate = set(merged) & set(item)
            assert not duplicate, f"locals defined twice in {directory}: {duplicate}"
            merged.update(item)
    return merged


def nested(body: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The nested blocks `name` of a block body (hcl2 gives a list, or one dict)."""
    value = body.get(name, [])
    return value if isinstance(value, list) else [value]


def one(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = nested(body, name)
    assert len(found) == 1, f"expected one {name} block, found {len(found)}"
    return found[0]


def keys_in(expression: Any) -> set[str]:
    """Environment-variable-like keys of an object literal, also inside an expression string."""
    if isinstance(expression, dict):
        return set(expression)
    return set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=", str(expression)))


def code(path: Path) -> str:
    """The file without its comments (# and //, outside strings)."""
    out: list[str] = []
    for line in path.read_text().splitlines():
        in_string = False
        escaped = False
        cut = len(line)
        for i, ch in enumerate(line):
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = not in_string
            elif not in_string and (ch == "#" or line.startswith("//", i)):
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def grpc_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = locals_of(TF)["grpc_services"]
    return services


def variable_defaults(directory: Path = TF) -> dict[str, Any]:
    return {names[0]: body.get("default") for names, body in blocks(directory, "variable")}


def tfvars_example() -> dict[str, Any]:
    return load(TF / "terraform.tfvars.example")


# ---------------------------------------------------------------------------------------------
# Parsing and references


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(TF)))
def test_every_tf_file_parses(path: Path) -> None:
    assert load(path), f"{path} parsed to nothing"


def test_the_stack_has_the_files_a_reader_expects() -> None:
    for name in ("versions.tf", "variables.tf", "outputs.tf", "terraform.tfvars.example"):
        assert (TF / name).is_file(), name
    versions = load(TF / "versions.tf")["terraform"][0]
    aws = versions["required_providers"][0]["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert re.fullmatch(r"~> 5\.\d+", aws["version"]), aws["version"]


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda p: p.name)
def test_every_reference_is_declared(directory: Path) -> None:
    text = "\n".join(code(p) for p in sorted(directory.glob("*.tf")))
    variables = {names[0] for names, _ in blocks(directory, "variable")}
    local_names = set(locals_of(directory))
    resources = {names for names, _ in blocks(directory, "resource")}
    data = {names for names, _ in blocks(directory, "data")}
    calls = {names[0]: body for names, body in blocks(directory, "module")}

    missing = sorted(set(re.findall(r"\bvar\.(\w+)", text)) - variables)
    assert not missing, f"{directory.name}: undeclared variables {missing}"
    missing = sorted(set(re.findall(r"\blocal\.(\w+)", text)) - local_names)
    assert not missing, f"{directory.name}: undeclared locals {missing}"
    resource_reference = r"(?<![\w.\"])((?:aws|random|terraform)_[a-z0-9_]+)\.([a-z0-9_]+)\b"
    used = set(re.findall(resource_reference, text))
    assert used <= resources, f"{directory.name}: undeclared resources {sorted(used - resources)}"
    used = set(re.findall(r"\bdata\.(\w+)\.(\w+)", text))
    assert used <= data, f"{directory.name}: undeclared data sources {sorted(used - data)}"
    for name, output in re.findall(r"\bmodule\.(\w+)(?:\[[^\]]*\])?(?:\.(\w+))?", text):
        assert name in calls, f"{directory.name}: module.{name} is not called"
        if output:
            source = (directory / calls[name]["source"]).resolve()
            outputs = {names[0] for names, _ in blocks(source, "output")}
            assert output in outputs, f"{directory.name}: module {name} has no output {output}"


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda p: p.name)
def test_module_calls_pass_exactly_the_declared_variables(directory: Path) -> None:
    for (name,), body in blocks(directory, "module"):
        source = (directory / body["source"]).resolve()
        assert source.is_dir() and source.is_relative_to(MODULES), f"{name}: {body['source']}"
        declared = dict(variable_defaults(source))
        required = {
            v for names, b in blocks(source, "variable") if "default" not in b for v in names
        }
        given = set(body) - META_ARGUMENTS
        assert given <= set(declared), f"module {name}: unknown arguments {given - set(declared)}"
        assert required <= given, f"module {name}: missing arguments {required - given}"


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda p: p.name)
def test_every_variable_and_output_is_typed_and_described(directory: Path) -> None:
    for (name,), body in blocks(directory, "variable"):
        assert body.get("description"), f"{directory.name}: variable {name} has no description"
        assert body.get("type"), f"{directory.name}: variable {name} has no type"
    for (name,), body in blocks(directory, "output"):
        assert body.get("description"), f"{directory.name}: output {name} has no description"


def test_root_variables_that_take_free_text_are_validated() -> None:
    unvalidated = sorted(
        name
        for (name,), body in blocks(TF, "variable")
        if body["type"] in ("string", "number")
        and "validation" not in body
        and not name.endswith("_threshold")
    )
    assert not unvalidated, f"variables without validation: {unvalidated}"


def test_tfvars_example_sets_every_required_variable_and_nothing_unknown() -> None:
    defaults = {names[0]: "default" in body for names, body in blocks(TF, "variable")}
    example = tfvars_example()
    required = {name for name, has_default in defaults.items() if not has_default}
    assert required <= set(example), f"not in the example: {required - set(example)}"
    assert set(example) <= set(defaults), f"not variables: {set(example) - set(defaults)}"
    commented = set(
        re.findall(r"^# ([a-z]\w*)\s*=", (TF / "terraform.tfvars.example").read_text(), re.M)
    )
    assert commented <= set(defaults), f"commented, not variables: {commented - set(defaults)}"


# ---------------------------------------------------------------------------------------------
# checkov


def checkov_command() -> list[str]:
    if CHECKOV_BIN.is_file():
        return [str(CHECKOV_BIN)]
    uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(uv).is_file():
        pytest.fail("neither tools/checkov/.venv nor uv: run `make test` (it syncs tools/checkov)")
    return [uv, "run", "--project", str(CHECKOV_PROJECT), "--locked", "checkov"]


@cache
def checkov_report(telemetry: bool = False) -> tuple[dict[str, Any], float]:
    """checkov's report on the stack at its defaults, or with var.telemetry on (the collectors,
    their roles and log group exist only then)."""
    with tempfile.TemporaryDirectory(prefix="checkov-vars-") as tmp:
        var_file = Path(tmp) / "telemetry.tfvars"
        var_file.write_text(f"telemetry = {str(telemetry).lower()}\n")
        started = time.monotonic()
        result = subprocess.run(
            [
                *checkov_command(),
                "--var-file",
                str(var_file),
                "--directory",
                str(TF),
                "--framework",
                "terraform",
                "--output",
                "json",
                "--compact",
                "--skip-download",  # offline: no guidelines or policies from the vendor's API
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env={
                **os.environ,
                "BC_SKIP_MAPPING": "TRUE",
                "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
            },
        )
    elapsed = time.monotonic() - started
    assert result.stdout.strip(), (
        f"checkov printed nothing (exit {result.returncode}): {result.stderr}"
    )
    report = json.loads(result.stdout)
    if isinstance(report, list):
        (report,) = [r for r in report if r.get("check_type") == "terraform"]
    return report, elapsed


@pytest.mark.parametrize("telemetry", [False, True], ids=["defaults", "telemetry"])
def test_checkov_finds_no_failed_check(telemetry: bool) -> None:
    report, elapsed = checkov_report(telemetry)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    # It really read the stack (about 140 resources), and quickly.
    assert summary["resource_count"] >= 100, summary
    assert summary["passed"] >= 300, summary
    assert elapsed < 60, f"checkov took {elapsed:.1f} s"
    checked = {c["resource"] for c in report["results"]["passed_checks"]}
    # The collectors' log group is there only with telemetry on (inside the modules checkov
    # checks the collector's role either way: it does not follow var.collector there).
    assert ("aws_cloudwatch_log_group.metrics[0]" in checked) is telemetry
    assert "module.gateway.aws_iam_role_policy.collector[0]" in checked


def test_every_checkov_skip_is_in_the_code_with_a_reason() -> None:
    comments: set[tuple[str, str]] = set()
    for path in tf_files():
        text = path.read_text()
        for check, reason in re.findall(r"#checkov:skip=([A-Z0-9_]+):(.*)$", text, re.M):
            assert len(reason.strip()) >= 30, f"{path}: {check} needs a real reason: {reason!r}"
            comments.add((check, "/" + str(path.relative_to(TF))))
        assert "checkov:skip=" not in re.sub(r"#checkov:skip=[A-Z0-9_]+:.+", "", text)
    report, _ = checkov_report()
    skipped_checks = report["results"]["skipped_checks"]
    skipped = {(c["check_id"], c["file_path"]) for c in skipped_checks}
    reasons = [c["check_result"].get("suppress_comment", "") for c in skipped_checks]
    assert all(len(r) >= 30 for r in reasons), reasons
    assert skipped == comments, (
        f"skipped but not in the code: {skipped - comments}; "
        f"in the code but not applied: {comments - skipped}"
    )


# ---------------------------------------------------------------------------------------------
# Services, ports, images


def service_module_calls() -> dict[str, dict[str, Any]]:
    """The gRPC service module calls (service_tierN) by tier number."""
    calls: dict[str, dict[str, Any]] = {}
    for (name,), body in blocks(TF, "module"):
        if body["source"] == "./modules/ecs_service" and name.startswith("service_tier"):
            calls[name] = body
    return calls


def tier_of(call: Mapping[str, Any]) -> int:
    match = re.fullmatch(
        r"\$\{\{for name, s in local\.grpc_services : name => s if s\.tier == (\d+)\}\}",
        call["for_each"],
    )
    assert match, call["for_each"]
    return int(match.group(1))


def service_module() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The ecs_service module's container, task definition and ECS service."""
    module = MODULES / "ecs_service"
    defined = locals_of(module)
    # The service's container, and after the collector when there is one.
    assert defined["container"] == "${merge(local.app_container, local.after_collector)}"
    container = defined["app_container"]
    return (
        container,
        block(module, "resource", "aws_ecs_task_definition", "this"),
        block(module, "resource", "aws_ecs_service", "this"),
    )


def test_every_grpc_service_has_an_ecs_service_on_its_port() -> None:
    services = grpc_services()
    assert set(services) == set(SERVICE_PORTS)
    for name, service in services.items():
        assert service["port"] == SERVICE_PORTS[name], name

    calls = service_module_calls()
    tiers = {tier_of(call) for call in calls.values()}
    assert {s["tier"] for s in services.values()} == tiers, "a tier without a module call"
    for call in calls.values():
        assert call["name"] == "${each.key}"
        assert call["port"] == "${each.value.port}"
        assert call["publish_service_connect"] is True
        assert call["app_protocol"] == "grpc"

    container, task_definition, service = service_module()
    (mapping,) = container["portMappings"]
    assert mapping["containerPort"] == "${var.port}"
    assert mapping["name"] == "${var.port_name}"
    assert task_definition["container_definitions"] == (
        "${jsonencode(concat([local.container], local.collector_container))}"
    )
    assert task_definition["requires_compatibilities"] == ["FARGATE"]
    assert task_definition["network_mode"] == "awsvpc"
    assert service["task_definition"] == "${aws_ecs_task_definition.this.arn}"
    assert service["launch_type"] == "FARGATE"
    (dynamic,) = one(one(service, "service_connect_configuration"), "dynamic")["service"]["content"]
    assert dynamic["port_name"] == "${var.port_name}"
    assert one(dynamic, "client_alias") == {
        "dns_name": "${var.name}.${var.context.discovery_domain}",
        "port": "${var.port}",
    }
    (balancer,) = one(service, "dynamic")["load_balancer"]["content"]
    assert balancer["container_port"] == "${var.port}"
    assert balancer["container_name"] == "${var.name}" == container["name"]


def test_the_services_are_found_under_the_production_gateway_names() -> None:
    assert f"x.{locals_of(TF)['discovery_domain']}" == discovery_name("x")
    render_args = parse_dockerfile(GATEWAY_DOCKERFILE).stage("render-production").arg_defaults()
    for name, port in SERVICE_PORTS.items():
        upstream = render_args[f"CAREERVAULT_{name.upper()}_UPSTREAMS"]
        assert upstream == f"{discovery_name(name)}:{port}"


def test_every_address_setting_names_a_service_it_is_allowed_to_call() -> None:
    services = grpc_services()
    for name, service in services.items():
        addresses = {k: v for k, v in service["environment"].items() if k.endswith("_ADDRESS")}
        called = set()
        for key, value in addresses.items():
            callee = key.removeprefix("CAREERVAULT_").removesuffix("_ADDRESS").lower()
            assert value == f"{discovery_name(callee)}:{SERVICE_PORTS[callee]}", (name, key)
            called.add(callee)
        assert called == set(service["calls"]), (
            f"{name}: calls {service['calls']}, addresses {called}"
        )
        for callee in called:
            # Service Connect names reach only tasks started after the callee's service exists.
            assert services[callee]["tier"] < service["tier"], f"{name} starts before {callee}"
    # A tier's services are created after every lower tier's.
    for call in service_module_calls().values():
        after = {
            int(t) for t in re.findall(r"module\.service_tier(\d+)", call.get("starts_after", ""))
        }
        assert after == set(range(1, tier_of(call))), (tier_of(call), call.get("starts_after"))
    module = MODULES / "ecs_service"
    assert (
        block(module, "resource", "terraform_data", "starts_after")["input"]
        == "${var.starts_after}"
    )
    service = block(module, "resource", "aws_ecs_service", "this")
    assert service["depends_on"] == ["${terraform_data.starts_after}"]
    # The settings classes name every address a service has.
    for name in services:
        wanted = {n for n in env_names(settings_class(name)) if n.endswith("_ADDRESS")}
        given = {k for k in services[name]["environment"] if k.endswith("_ADDRESS")}
        assert given == wanted, f"{name}: settings read {wanted}, Terraform sets {given}"


def test_the_gateway_runs_the_production_image_behind_the_alb_after_every_service() -> None:
    gateway = block(TF, "module", "gateway")
    assert locals_of(TF)["gateway_port"] == GATEWAY_PORT
    assert gateway["port"] == "${local.gateway_port}"
    assert gateway["load_balanced"] is True
    assert gateway["publish_service_connect"] is False
    assert gateway["environment"] == {}, "the gateway image reads no environment"
    assert gateway["starts_after"] == "${[for m in local.grpc_service_modules : m.service_arn]}"
    assert locals_of(TF)["grpc_service_modules"] == (
        "${merge(" + ", ".join(f"module.{n}" for n in sorted(service_module_calls())) + ")}"
    )
    alb = block(TF, "module", "alb")
    assert alb["gateway_port"] == "${local.gateway_port}"
    target_group = block(MODULES / "alb", "resource", "aws_lb_target_group", "gateway")
    assert target_group["port"] == "${var.gateway_port}"
    assert one(target_group, "health_check")["path"] == "/healthz"
    image = parse_dockerfile(GATEWAY_DOCKERFILE).image("production")
    assert f"{GATEWAY_PORT}" in " ".join(i.args for i in image.all("EXPOSE"))


def healthcheck_command(args: str) -> list[str]:
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", args)
    assert match, args
    command: list[str] = json.loads(match.group(1))
    return command


def test_tasks_run_on_their_images_port_and_user_with_their_images_health_check() -> None:
    services = grpc_services()
    dockerfile = parse_dockerfile(SERVICE_DOCKERFILE)
    grpc_check = locals_of(TF)["grpc_health_check"]
    for name, service in services.items():
        image = dockerfile.image(name)
        exposed = " ".join(i.args for i in image.all("EXPOSE")).split()
        assert str(service["port"]) in exposed, f"{name}: image exposes {exposed}"
        user = image.last("USER")
        assert user is not None and user.args == f"{service['uid']}:{service['uid']}", name
        check = image.last("HEALTHCHECK")
        assert check is not None
        assert grpc_check == ["CMD", *healthcheck_command(check.args)], name
    for call in service_module_calls().values():
        assert call["health_check_command"] == "${local.grpc_health_check}"
        assert call["uid"] == "${each.value.uid}"
    gateway = block(TF, "module", "gateway")
    image = parse_dockerfile(GATEWAY_DOCKERFILE).image("production")
    user = image.last("USER")
    assert user is not None and user.args == f"{gateway['uid']}:{gateway['uid']}"
    check = image.last("HEALTHCHECK")
    assert check is not None
    assert gateway["health_check_command"] == ["CMD", *healthcheck_command(check.args)]
    container, _, _ = service_module()
    assert container["user"] == "${var.uid}:${var.uid}"
    assert container["healthCheck"]["command"] == "${var.health_check_command}"
    assert container["readonlyRootFilesystem"] is True


# ---------------------------------------------------------------------------------------------
# Environment variables


def resolve(name: str, value: Any, variables: Mapping[str, Any]) -> str:
    """What a task would get for `value`: literals as they are, a variable's default (or the
    example tfvars value), else an example of the apply-time value."""
    if isinstance(value, bool):
        return str(value).lower()
    if not isinstance(value, str) or "${" not in value:
        return str(value)
    # Scalar locals (telemetry.tf's addresses and ports), in place.
    defined = locals_of(TF)
    value = re.sub(
        r"\$\{(?:tostring\()?local\.(\w+)\)?\}",
        lambda m: str(defined[m.group(1)]),
        value,
    )
    if "${" not in value:
        return str(value)
    match = re.fullmatch(r"\$\{(?:tostring\()?var\.(\w+)\)?\}", value)
    if match:
        resolved = variables[match.group(1)]
        return str(resolved).lower() if isinstance(resolved, bool) else str(resolved)
    assert name in APPLY_TIME_EXAMPLES, f"{name} = {value}: add an example to APPLY_TIME_EXAMPLES"
    return APPLY_TIME_EXAMPLES[name]


def task_environment(name: str, telemetry: bool = True) -> dict[str, str]:
    """The environment (secrets included) the service's task definition gets, resolved; with
    `telemetry`, as with var.telemetry on (telemetry.tf)."""
    variables = {**variable_defaults(), **tfvars_example()}
    service = grpc_services()[name]
    (call,) = [c for c in service_module_calls().values() if tier_of(c) == service["tier"]]
    assert call["environment"] == (
        "${merge(local.python_environment, local.telemetry_environment, "
        "{CAREERVAULT_PORT = tostring(each.value.port)}, each.value.environment)}"
    )
    defined = locals_of(TF)
    assert defined["telemetry_environment"] == ("${var.telemetry ? local.telemetry_settings : {}}")
    raw = dict(defined["python_environment"])
    if telemetry:
        raw.update(defined["telemetry_settings"])
    raw["CAREERVAULT_PORT"] = service["port"]
    raw.update(service["environment"])
    env = {k: resolve(k, v, variables) for k, v in raw.items()}
    for secret in keys_in(service["secrets"]):
        env[secret] = SECRET_EXAMPLE
    return env


def otel_names() -> set[str]:
    """The OTEL_* variables OpenTelemetry's SDK and OTLP exporter define."""
    from opentelemetry.exporter.otlp.proto.http import trace_exporter
    from opentelemetry.sdk import environment_variables

    names = {n for n in vars(environment_variables) if n.startswith("OTEL_")}
    return names | {n for n in vars(trace_exporter) if n.startswith("OTEL_")}


def known_names(name: str) -> set[str]:
    names = env_names(settings_class(name)) | otel_names()
    if name == "identity":
        from careervault_identity.cognito import CognitoSettings

        names |= env_names(CognitoSettings)
    return names


@pytest.mark.parametrize("name", GRPC_SERVICES)
def test_every_variable_a_task_gets_is_a_setting_its_service_reads(name: str) -> None:
    given = set(task_environment(name))
    unknown = given - known_names(name) - NON_SETTINGS_NAMES
    assert not unknown, f"{name}: not settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", GRPC_SERVICES)
def test_the_settings_a_task_gets_are_accepted_by_its_service(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(("CAREERVAULT_", "COGNITO_", "GEMINI_")):
            monkeypatch.delenv(key)
    env = task_environment(name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if name == "extraction":
        import careervault_extraction.settings as extraction_settings

        # The image installs the languages; this machine need not have tesseract's data.
        monkeypatch.setattr(extraction_settings, "installed_languages", lambda: ["eng"])
    settings = settings_class(name)()
    assert settings.port == SERVICE_PORTS[name]
    assert settings.identity_backend == "cognito"
    assert settings.host == "0.0.0.0"
    if isinstance(settings, JobsSettings):
        assert settings.jobs_store == "dynamodb"
        assert settings.dynamodb_create_table is False
    if name == "identity":
        from careervault_identity.cognito import CognitoSettings

        cognito = CognitoSettings()
        assert cognito.client_secret.get_secret_value() == SECRET_EXAMPLE
        assert cognito.admin_get_user is True


def test_secrets_reach_only_their_service() -> None:
    secrets = {name: keys_in(s["secrets"]) for name, s in grpc_services().items()}
    assert secrets == {
        "identity": {"COGNITO_CLIENT_SECRET"},
        "jobs": {"CAREERVAULT_PAGE_TOKEN_SECRET"},
        "extraction": set(),
        "ai": {"GEMINI_API_KEY"},
    }
    gateway = block(TF, "module", "gateway")
    assert gateway["secrets"] == {}
    # Each execution role may read only the secrets of its own task.
    execution = block(MODULES / "ecs_service", "data", "aws_iam_policy_document", "execution")
    statements = [s["content"][0] for d in nested(execution, "dynamic") for s in [d["statement"]]]
    read = [s for s in statements if s["actions"] == ["secretsmanager:GetSecretValue"]]
    assert read and read[0]["resources"] == "${sort(distinct(values(var.secrets)))}"


def test_gateway_build_args_are_names_the_gateway_renders_with() -> None:
    args = block(TF, "output", "gateway_build_args")["value"]
    assert set(args) <= gateway_env_names(), set(args) - gateway_env_names()
    production = parse_dockerfile(GATEWAY_DOCKERFILE).stage("render-production").arg_defaults()
    assert set(args) <= set(production), (
        f"not args of the production target: {set(args) - set(production)}"
    )
    assert args["CAREERVAULT_IDENTITY_BACKEND"] == "cognito"
    # Cognito mode reads the pool's own JWKS: no JWKS URL of another source.
    assert "CAREERVAULT_JWKS_URL" not in args and "COGNITO_JWKS_URL" not in args
    # CloudFront, then the ALB: two proxies add X-Forwarded-For entries.
    assert args["CAREERVAULT_GATEWAY_TRUSTED_HOPS"] == "2"
    assert args["CAREERVAULT_GATEWAY_SERVICES"] == '${join(",", keys(local.grpc_services))}'
    for name, port in SERVICE_PORTS.items():
        value = args[f"CAREERVAULT_{name.upper()}_UPSTREAMS"]
        assert value == f"{name}.${{local.discovery_domain}}:${{local.grpc_services.{name}.port}}"
        domain = locals_of(TF)["discovery_domain"]
        rendered = value.replace("${local.discovery_domain}", domain)
        rendered = rendered.replace(f"${{local.grpc_services.{name}.port}}", str(port))
        assert rendered == f"{discovery_name(name)}:{port}"


# ---------------------------------------------------------------------------------------------
# DynamoDB


class _RecordingDynamoDB:
    def __init__(self) -> None:
        self.created: dict[str, Any] = {}
        self.ttl: dict[str, Any] = {}

    def describe_table(self, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTable")

    def create_table(self, **kwargs: Any) -> None:
        self.created = kwargs

    def get_waiter(self, _name: str) -> Any:
        return SimpleNamespace(wait=lambda **_: None)

    def describe_time_to_live(self, **_: Any) -> dict[str, Any]:
        return {}

    def update_time_to_live(self, **kwargs: Any) -> None:
        self.ttl = kwargs


def table_the_code_creates() -> _RecordingDynamoDB:
    """Runs the store's own table creation (`_ensure_table`, `_create_table`) against a
    recording client: the arguments it would send to DynamoDB."""
    from careervault_jobs.dynamo_store import DynamoJobStore

    client = _RecordingDynamoDB()
    store = SimpleNamespace(table="careervault-jobs", client=client)
    store._create_table = lambda: DynamoJobStore._create_table(cast(DynamoJobStore, store))
    DynamoJobStore._ensure_table(cast(DynamoJobStore, store))
    assert client.created and client.ttl, "the store created no table"
    return client


def test_the_table_is_the_one_dynamo_store_creates() -> None:
    recorded = table_the_code_creates()
    created = recorded.created
    table = block(MODULES / "dynamodb", "resource", "aws_dynamodb_table", "jobs")

    keys = {k["KeyType"]: k["AttributeName"] for k in created["KeySchema"]}
    assert table["hash_key"] == keys["HASH"]
    assert table["range_key"] == keys["RANGE"]
    assert table["billing_mode"] == created["BillingMode"] == "PAY_PER_REQUEST"
    assert {(a["name"], a["type"]) for a in nested(table, "attribute")} == {
        (a["AttributeName"], a["AttributeType"]) for a in created["AttributeDefinitions"]
    }

    def lsi(index: Mapping[str, Any]) -> tuple[str, str, str, str]:
        keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
        return (
            index["IndexName"],
            keys["HASH"],
            keys["RANGE"],
            index["Projection"]["ProjectionType"],
        )

    code_lsis = {lsi(i) for i in created.get("LocalSecondaryIndexes", [])}
    tf_lsis = {
        (i["name"], table["hash_key"], i["range_key"], i["projection_type"])
        for i in nested(table, "local_secondary_index")
    }
    assert tf_lsis == code_lsis
    assert len(code_lsis) == 4
    assert not created.get("GlobalSecondaryIndexes") and not nested(table, "global_secondary_index")

    ttl = one(table, "ttl")
    spec = recorded.ttl["TimeToLiveSpecification"]
    assert (ttl["attribute_name"], ttl["enabled"]) == (spec["AttributeName"], spec["Enabled"])
    assert one(table, "point_in_time_recovery")["enabled"] is True
    sse = one(table, "server_side_encryption")
    assert sse["enabled"] is True and sse["kms_key_arn"] == "${var.kms_key_arn}"


def store_calls(path: Path, receiver: str = "client") -> dict[str, set[str]]:
    """`self.<receiver>.<method>(` calls of a module: method -> the functions calling it."""
    tree = ast.parse(path.read_text())
    found: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == receiver
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "self"
            ):
                found.setdefault(node.attr, set()).add(function.name)
    return found


def camel(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


def policy_actions(name: str) -> dict[str, set[str]]:
    """Resources -> actions of a root data.aws_iam_policy_document."""
    local = locals_of(TF)
    document = block(TF, "data", "aws_iam_policy_document", name)
    out: dict[str, set[str]] = {}
    for statement in nested(document, "statement"):
        actions = statement["actions"]
        if isinstance(actions, str):
            reference = re.fullmatch(r"\$\{local\.(\w+)\}", actions)
            assert reference, f"{name}: actions must be a list or a local: {actions}"
            actions = local[reference.group(1)]
        for resource in statement["resources"]:
            out.setdefault(resource, set()).update(actions)
    return out


def test_jobs_task_role_allows_exactly_the_calls_dynamo_store_makes() -> None:
    calls = store_calls(JOBS_STORE)
    for method in TABLE_SETUP_CALLS & set(calls):
        assert calls[method] <= {"_ensure_table", "_create_table"}, (
            f"{method} is called outside table setup: the production role does not allow it"
        )
    runtime = set(calls) - TABLE_SETUP_CALLS - CLIENT_HOUSEKEEPING
    expected = {f"dynamodb:{camel(m)}" for m in runtime if m != "transact_write_items"}
    if "transact_write_items" in runtime:
        source = JOBS_STORE.read_text()
        expected |= {
            f"dynamodb:{action}"
            for key, action in TRANSACT_ACTIONS.items()
            if re.search(rf'[{{,]\s*"{key}"\s*:', source)
        }
    table = "${module.jobs_table.arn}"
    indexes = "${module.jobs_table.arn}/index/*"
    for document in ("jobs_task", "dynamodb_endpoint"):
        granted = policy_actions(document)
        assert set(granted) == {table, indexes}, document
        assert granted[table] == expected, f"{document}: {sorted(granted[table] ^ expected)}"
        assert granted[indexes] == {"dynamodb:Query"}, document


def test_identity_task_role_allows_exactly_the_admin_calls_cognito_makes() -> None:
    calls = set(store_calls(COGNITO))
    admin = {c for c in calls if c.startswith("admin_")}
    public = calls - admin - CLIENT_HOUSEKEEPING
    assert public <= COGNITO_PUBLIC_CALLS, (
        f"new Cognito calls {public - COGNITO_PUBLIC_CALLS}: public (add them to "
        "COGNITO_PUBLIC_CALLS) or IAM-authorised (grant them in iam.tf)"
    )
    granted = policy_actions("identity_task")
    assert granted == {
        "${module.cognito.user_pool_arn}": {f"cognito-idp:{camel(c)}" for c in admin}
    }


def test_only_jobs_and_identity_have_a_task_role() -> None:
    roles = {name: s["task_role"] for name, s in grpc_services().items()}
    assert roles == {"identity": True, "jobs": True, "extraction": False, "ai": False}
    assert block(TF, "module", "gateway")["task_role"] is False


# ---------------------------------------------------------------------------------------------
# Cognito


def cognito_keywords(name: str) -> set[str]:
    """String values passed as keyword `name` anywhere in cognito.py."""
    tree = ast.parse(COGNITO.read_text())
    return {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg == name
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def test_the_app_client_allows_the_auth_flows_cognito_py_uses() -> None:
    flows = cognito_keywords("AuthFlow")
    assert flows == {"USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"}, flows
    client = block(MODULES / "cognito", "resource", "aws_cognito_user_pool_client", "identity")
    # Those flows and nothing else (no SRP, no admin flows).
    assert set(client["explicit_auth_flows"]) == {f"ALLOW_{flow}" for flow in flows}
    # cognito.py signs every call with SECRET_HASH when COGNITO_CLIENT_SECRET is set.
    assert client["generate_secret"] is True
    assert "COGNITO_CLIENT_SECRET" in keys_in(grpc_services()["identity"]["secrets"])
    assert client["prevent_user_existence_errors"] == "ENABLED"
    assert client["enable_token_revocation"] is True


def test_the_pool_offers_optional_totp_and_the_attributes_the_profile_uses() -> None:
    from careervault_identity import cognito

    assert cognito_keywords("ChallengeName") == {cognito.MFA_TYPE} == {"SOFTWARE_TOKEN_MFA"}
    pool = block(MODULES / "cognito", "resource", "aws_cognito_user_pool", "this")
    assert pool["mfa_configuration"] == "OPTIONAL"
    assert one(pool, "software_token_mfa_configuration")["enabled"] is True
    assert "sms_configuration" not in pool
    assert pool["username_attributes"] == ["email"]
    custom = {f"custom:{s['name']}" for s in nested(pool, "schema")}
    assert {cognito.ATTR_CONSENT, cognito.ATTR_CONSENT_TIME} <= custom
    client = block(MODULES / "cognito", "resource", "aws_cognito_user_pool_client", "identity")
    attributes = {cognito.ATTR_NAME, cognito.ATTR_CONSENT, cognito.ATTR_CONSENT_TIME}
    assert attributes <= set(client["read_attributes"])
    assert attributes <= set(client["write_attributes"])
    policy = one(pool, "password_policy")
    assert all(policy[k] is True for k in policy if k.startswith("require_"))


# ---------------------------------------------------------------------------------------------
# Telemetry (telemetry.tf: a collector beside every task, off unless var.telemetry)

COLLECTOR_TEMPLATE = TF / "templates" / "otel-collector.yaml.tftpl"
TASKS = (*GRPC_SERVICES, "gateway")
OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def telemetry_code() -> str:
    """telemetry.tf without comments, whitespace runs folded (for checking expressions)."""
    return re.sub(r"\s+", " ", code(TF / "telemetry.tf"))


def collector_config(task: str) -> dict[str, Any]:
    """templates/otel-collector.yaml.tftpl rendered as telemetry.tf renders it for one task
    (the arguments are checked against telemetry.tf by the test below), parsed."""
    defined = locals_of(TF)
    gateway = task == "gateway"
    values = {
        "service": task,
        "otlp_endpoint": defined["otlp_endpoint"],
        "metrics_target": defined["envoy_admin"]
        if gateway
        else f"127.0.0.1:{defined['metrics_port']}",
        "metrics_path": "/stats/prometheus" if gateway else "/metrics",
        "metric_pattern": f"^({'|'.join(defined['collected_metrics'])})$",
        "region": "eu-west-1",
        "namespace": defined["metrics_namespace"],
        "log_group": "/careervault/careervault-prod/metrics",
    }

    def substitute(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), text)

    def jsonencoded(match: re.Match[str]) -> str:
        literal = re.sub(r"\\(.)", r"\1", match.group(1))  # an HCL string's escapes
        return json.dumps(substitute(literal))

    text = re.sub(
        r'\$\{jsonencode\("((?:[^"\\]|\\.)*)"\)\}', jsonencoded, COLLECTOR_TEMPLATE.read_text()
    )
    text = substitute(text)
    assert "${" not in text and "%{" not in text, "a template expression this test cannot render"
    config: dict[str, Any] = yaml.safe_load(text)
    return config


def test_telemetry_is_off_unless_asked_for() -> None:
    assert variable_defaults()["telemetry"] is False
    defined = locals_of(TF)
    assert defined["telemetry_environment"] == "${var.telemetry ? local.telemetry_settings : {}}"
    assert re.search(r"=> var\.telemetry \? \{.*\} : null\}\}$", defined["collectors"])
    assert block(TF, "resource", "aws_cloudwatch_log_group", "metrics")["count"] == (
        "${var.telemetry ? 1 : 0}"
    )
    args = block(TF, "output", "gateway_build_args")["value"]
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"):
        assert re.fullmatch(r'\$\{var\.telemetry \? .+ : ""\}', args[name]), args[name]
    # Without a collector a task has no sidecar, no dependency on one, and a role only for the
    # code's own calls (the gateway, extraction and ai then have no AWS credentials at all).
    module = locals_of(MODULES / "ecs_service")
    assert module["collector_container"].startswith("${var.collector == null ? [] : [{")
    assert module["after_collector"].startswith("${var.collector == null ? {} : {")
    assert module["task_role"] == "${var.task_role || var.collector != null}"
    role = block(MODULES / "ecs_service", "resource", "aws_iam_role", "task")
    assert role["count"] == "${local.task_role ? 1 : 0}"
    code_policy = block(MODULES / "ecs_service", "resource", "aws_iam_role_policy", "task")
    assert code_policy["count"] == "${var.task_role ? 1 : 0}"


def test_every_task_gets_its_own_collector() -> None:
    for call in service_module_calls().values():
        assert call["collector"] == "${local.collectors[each.key]}"
    assert block(TF, "module", "gateway")["collector"] == "${local.collectors.gateway}"
    assert 'for name in concat(keys(local.grpc_services), ["gateway"])' in telemetry_code()
    module = locals_of(MODULES / "ecs_service")
    sidecar = module["collector_container"]
    for part in (
        "image = var.collector.image",
        "essential = false",
        'environment = [{name = "AOT_CONFIG_CONTENT", value = var.collector.config}]',
        'healthCheck = {command = ["/healthcheck"]',
        "readonlyRootFilesystem = true",
        'capabilities = {drop = ["ALL"]}',
        "restartPolicy = {enabled = true",
    ):
        assert part in sidecar, part
    assert "portMappings" not in sidecar  # loopback only
    assert 'condition = "START"' in module["after_collector"]


def test_the_collector_configuration_is_rendered_from_these_values() -> None:
    """What collector_config() assumes, as telemetry.tf writes it."""
    written = telemetry_code()
    for argument in (
        "service = name",
        "otlp_endpoint = local.otlp_endpoint",
        'metrics_target = name == "gateway" ? local.envoy_admin : '
        '"127.0.0.1:${local.metrics_port}"',
        'metrics_path = name == "gateway" ? "/stats/prometheus" : "/metrics"',
        'metric_pattern = "^(${join("|", local.collected_metrics)})$"',
        "region = var.region",
        "namespace = local.metrics_namespace",
        "log_group = one(aws_cloudwatch_log_group.metrics[*].name)",
    ):
        assert argument in written, argument
    assert 'templatefile("${path.module}/templates/otel-collector.yaml.tftpl"' in written


@pytest.mark.parametrize("task", TASKS)
def test_the_collector_receives_what_its_task_sends(task: str) -> None:
    config = collector_config(task)
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["receivers"] == ["otlp"]
    assert pipelines["traces"]["exporters"] == ["awsxray"]
    assert pipelines["metrics"]["receivers"] == ["prometheus"]
    assert pipelines["metrics"]["exporters"] == ["awsemf"]
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            missing = set(pipeline[kind]) - set(config[kind])
            assert not missing, f"{task}: {kind} {missing} used but not configured"
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    # The image's /healthcheck asks the health_check extension on its default port.
    assert config["extensions"]["health_check"]["endpoint"] == "127.0.0.1:13133"

    # Traces: where the task sends them (the services' OTEL_* settings; Envoy's build args).
    endpoint = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert endpoint.startswith("127.0.0.1:")
    if task == "gateway":
        sent = resolve_output_with_telemetry("OTEL_EXPORTER_OTLP_ENDPOINT")
    else:
        sent = task_environment(task)["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert sent == f"http://{endpoint}"

    # Metrics: where the task serves them.
    (scrape,) = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    (target,) = scrape["static_configs"][0]["targets"]
    if task == "gateway":
        assert (target, scrape["metrics_path"]) == ("127.0.0.1:9901", "/stats/prometheus")
    else:
        env = task_environment(task)
        assert scrape["metrics_path"] == "/metrics"
        assert target == f"{env['CAREERVAULT_METRICS_HOST']}:{env['CAREERVAULT_METRICS_PORT']}"
    emf = config["exporters"]["awsemf"]
    assert emf["log_group_name"] == "/careervault/careervault-prod/metrics"
    assert emf["log_stream_name"] == f"{task}/{{TaskId}}"


def resolve_output_with_telemetry(name: str) -> str:
    """A gateway build arg as the gateway_build_args output gives it with var.telemetry on."""
    value = block(TF, "output", "gateway_build_args")["value"][name]
    match = re.fullmatch(r'\$\{var\.telemetry \? (.+) : ""\}', value)
    assert match, value
    chosen = match.group(1)
    # A string literal, or an expression (tostring(var.trace_sample_ratio)).
    chosen = chosen[1:-1] if chosen.startswith('"') else "${" + chosen + "}"
    return resolve(name, chosen, {**variable_defaults(), **tfvars_example()})


def test_the_services_accept_the_telemetry_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the task's settings, a service traces to the collector, follows the caller's
    sampling decision, and serves its metrics on loopback where the collector scrapes."""
    from opentelemetry.sdk.trace import TracerProvider

    from careervault.runtime import telemetry

    for key in list(os.environ):
        if key.startswith(("CAREERVAULT_", "OTEL_")):
            monkeypatch.delenv(key)
    env = task_environment("extraction")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert telemetry.tracing_requested(env)
    assert telemetry.traces_endpoint(env) == "http://127.0.0.1:4318/v1/traces"
    ratio = variable_defaults()["trace_sample_ratio"]
    description = TracerProvider().sampler.get_description()
    assert description.startswith(f"ParentBased{{root:TraceIdRatioBased{{{ratio}}}"), description
    settings = settings_class("jobs")()
    assert (settings.metrics_address, settings.metrics_port) == ("127.0.0.1", 9464)
    # Off, the task gets none of them: no tracing, no metrics endpoint.
    off = task_environment("jobs", telemetry=False)
    assert not telemetry.tracing_requested(off)
    assert "CAREERVAULT_METRICS_PORT" not in off


def test_the_traced_gateway_image_exports_to_its_collector_at_the_sample_ratio(
    tmp_path: Path,
) -> None:
    from gateway import render
    from tests.deploy.test_consistency import EXAMPLE_COGNITO, render_env

    args = {
        name: resolve_output_with_telemetry(name)
        for name in (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_SAMPLER_ARG",
        )
    }
    env = render_env("production", {**EXAMPLE_COGNITO, **args}, tmp_path)
    config = render.render(render.GatewayConfig.from_env(env, cwd=ROOT), check_jwks=False)
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    tracing = hcm["typed_config"]["tracing"]
    ratio = variable_defaults()["trace_sample_ratio"]
    assert tracing["random_sampling"] == {"value": ratio * 100}
    uri = tracing["provider"]["typed_config"]["http_service"]["http_uri"]["uri"]
    assert uri == f"http://{locals_of(TF)['otlp_endpoint']}/v1/traces"
    admin = config["admin"]["address"]["socket_address"]
    assert f"{admin['address']}:{admin['port_value']}" == locals_of(TF)["envoy_admin"]


def test_the_collector_may_send_traces_and_write_only_its_metrics() -> None:
    document = block(MODULES / "ecs_service", "data", "aws_iam_policy_document", "collector")
    granted = {
        resource: set(statement["actions"])
        for statement in nested(document, "statement")
        for resource in statement["resources"]
    }
    assert granted == {
        # X-Ray has no resource-level permissions for these.
        "*": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "${var.collector.metrics_log_group_arn}:*": {"logs:CreateLogStream", "logs:PutLogEvents"},
    }
    policy = block(MODULES / "ecs_service", "resource", "aws_iam_role_policy", "collector")
    assert policy["role"] == "${aws_iam_role.task[0].id}"
    assert policy["count"] == document["count"] == "${var.collector == null ? 0 : 1}"


def collected(name: str) -> bool:
    return re.fullmatch(f"^({'|'.join(locals_of(TF)['collected_metrics'])})$", name) is not None


def test_the_collector_keeps_every_metric_the_operations_doc_uses() -> None:
    text = re.sub(r"\{[^}]*\}", "", OPERATIONS_DOC.read_text())  # label names are not metrics
    documented = set(re.findall(r"\b(?:envoy|careervault)_[a-z_]*[a-z]", text))
    assert len(documented) >= 20, documented
    assert not {name for name in documented if not collected(name)}
    # and not Envoy's thousands of others (each one a billed CloudWatch metric)
    assert not collected("envoy_server_memory_allocated")
    assert not collected("envoy_cluster_upstream_cx_active")


def test_every_envoy_stat_the_collector_keeps_is_one_envoy_serves(
    stack: Stack, alice: User
) -> None:
    """Scraped from the session stack's real Envoy, as the collector scrapes the gateway's,
    after one request through it (Envoy creates an upstream's latency and status-class stats
    with its first response)."""
    assert httpx.get(stack.url + "/v1/jobs", headers=alice.headers, timeout=10).is_success
    text = httpx.get(stack.admin_url + "/stats/prometheus", timeout=10).text
    served = set(re.findall(r"^# TYPE (envoy_\w+) ", text, re.M))
    kept = [m for m in locals_of(TF)["collected_metrics"] if m.startswith("envoy_")]
    unserved = [m for m in kept if not any(re.fullmatch(m, name) for name in served)]
    assert len(kept) >= 15 and not unserved, unserved
