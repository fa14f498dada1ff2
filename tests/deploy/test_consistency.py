"""Every service agrees with itself across the deployment files: for each service of
SERVICE_PORTS an image definition, a compose service (and its aws-local twin), and an Envoy
cluster in every gateway configuration, all on the same port, health-checked with the same gRPC
health protocol; the environment variables compose gives a container are names its settings
class reads, with values it accepts; and the three Envoy configurations (compose, aws-local,
production) are rendered by gateway/render.py from the Dockerfile's inputs and accepted by the
real Envoy (`envoy --mode validate`).

The ECS side (task definitions, Cloud Map names) is checked by tests/deploy/test_terraform.py
against the names used here: <service>.careervault.local:<port>.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from careervault.runtime.settings import SERVICE_PORTS
from gateway import render
from gateway.stack import free_port
from tests.deploy.docker_files import (
    AWS_GATEWAY,
    AWS_SUFFIX,
    COGNITO_SEED,
    DOCKER_DIR,
    GATEWAY_DOCKERFILE,
    GATEWAY_PORT,
    GRPC_SERVICES,
    ROOT,
    SERVICE_DOCKERFILE,
    build_args,
    discovery_name,
    env_names,
    environment,
    image_of,
    parse_dockerfile,
    services,
    settings_class,
    substitute,
)

DESCRIPTOR = ROOT / "build" / "careervault.pb"
# What boto3 reads by itself (not a settings field): only in the services that use boto3.
BOTOCORE_NAMES = {
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
}
BOTO3_USERS = ("identity", "jobs")
# The interpreter's own, set by the image.
RUNTIME_NAMES = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
# A production render needs a pool; these are an example's.
EXAMPLE_COGNITO = {
    "COGNITO_REGION": "eu-central-1",
    "COGNITO_USER_POOL_ID": "eu-central-1_Example1",
    "COGNITO_CLIENT_ID": "exampleappclientid0000000a",
}


def twins(service: str) -> tuple[str, str]:
    """The compose services running `service`: the local one and the aws-local one."""
    return service, f"{service}{AWS_SUFFIX}"


def full_name(service: str) -> str:
    """The gRPC service name the service registers (and marks SERVING in its health service)."""
    servicer = importlib.import_module(f"careervault_{service}.servicer")
    name = servicer.SERVICE
    assert isinstance(name, str)
    return name


# ---------------------------------------------------------------------------------------------
# The gateway configurations, rendered as the image builds render them


def render_env(target: str, overrides: Mapping[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment render.py gets in the gateway image's render stage for `target`: the
    stage's ARG defaults, then the build args, then the variables set on the command itself.
    The image's paths exist only in the image: the same files are used from here."""
    stage = "render" if target == "gateway" else "render-production"
    df = parse_dockerfile(GATEWAY_DOCKERFILE)
    env = {k: v for k, v in df.stage(stage).arg_defaults().items() if v is not None}
    env |= overrides
    run = next(i.args for i in df.stage(stage).all("RUN") if "render.py" in i.args)
    command = next(part for part in run.split("&&") if "render.py" in part)
    env |= dict(w.split("=", 1) for w in shlex.split(command) if re.fullmatch(r"[A-Z_]+=.*", w))
    jwks = env.get("CAREERVAULT_JWKS_URL", "")
    if jwks.startswith("file://"):
        local = tmp_path / Path(jwks.removeprefix("file://")).relative_to("/")
        write_jwks(local)
        env["CAREERVAULT_JWKS_URL"] = local.as_uri()
    env["CAREERVAULT_GATEWAY_DESCRIPTOR"] = str(DESCRIPTOR)
    env["CAREERVAULT_WEB_DIR"] = str(ROOT / "web" / "placeholder")
    if not Path(env["CAREERVAULT_GATEWAY_CA_FILE"]).is_file():
        pytest.skip(f"no CA bundle at {env['CAREERVAULT_GATEWAY_CA_FILE']} on this machine")
    return env


def write_jwks(path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    n, e = numbers.public_numbers().n, numbers.public_numbers().e

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    key = {"kty": "RSA", "kid": "test", "use": "sig", "alg": "RS256", "n": b64(n), "e": b64(e)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"keys": [key]}))


GATEWAYS: dict[str, tuple[str, Callable[[], dict[str, str]]]] = {
    # name: (Dockerfile target, build args)
    "compose": ("gateway", lambda: build_args("gateway")),
    "aws-local": ("production", lambda: build_args(AWS_GATEWAY)),
    "production": ("production", lambda: dict(EXAMPLE_COGNITO)),
    # The same with the build args that turn Envoy's tracer on (10 % of new traces).
    "production-traced": (
        "production",
        lambda: {
            **EXAMPLE_COGNITO,
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel-collector.example:4318",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
    ),
}


@pytest.fixture(scope="module")
def envoy() -> str:
    if not DESCRIPTOR.is_file():
        pytest.skip("no descriptor set; run ./scripts/gen.sh")
    try:
        return render.envoy_binary()
    except render.ConfigError:
        pytest.skip("no envoy binary")


@pytest.fixture(scope="module", params=list(GATEWAYS))
def gateway_config(
    request: pytest.FixtureRequest, envoy: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, Any]]:
    name = str(request.param)
    target, args = GATEWAYS[name]
    tmp_path = tmp_path_factory.mktemp(f"gateway-{name}")
    env = render_env(target, args(), tmp_path)
    config = render.render(render.GatewayConfig.from_env(env, cwd=ROOT))
    out = tmp_path / "envoy.json"
    out.write_text(json.dumps(config))
    proc = subprocess.run(
        [envoy, "--mode", "validate", "-c", str(out), "--log-level", "error"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"envoy rejected the {name} config:\n{proc.stdout}{proc.stderr}"
    return name, config


def clusters(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in config["static_resources"]["clusters"]}


def endpoints(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    (group,) = cluster["load_assignment"]["endpoints"]
    return [e["endpoint"]["address"]["socket_address"] for e in group["lb_endpoints"]]


def jwt_provider(config: dict[str, Any]) -> dict[str, Any]:
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    (jwt,) = [
        f
        for f in hcm["typed_config"]["http_filters"]
        if f["name"] == "envoy.filters.http.jwt_authn"
    ]
    provider = jwt["typed_config"]["providers"][render.JWT_PROVIDER]
    assert isinstance(provider, dict)
    return provider


# ---------------------------------------------------------------------------------------------
# One service, everywhere


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_service_has_an_image_and_compose_services_on_its_port(service: str) -> None:
    port = SERVICE_PORTS[service]
    assert settings_class(service).model_fields["port"].default == port
    assert parse_dockerfile(SERVICE_DOCKERFILE).has(service)
    for name in twins(service):
        image = image_of(name)
        assert substitute(image.env["CAREERVAULT_PORT"], image.args) == str(port), name
        assert [e.args for e in image.all("EXPOSE")] == [str(port)], name
        assert [str(p) for p in services()[name]["expose"]] == [str(port)], name


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_service_is_health_checked_with_the_grpc_health_protocol_everywhere(service: str) -> None:
    # The container: the probe asks grpc.health.v1 for the whole server on CAREERVAULT_PORT.
    probe = (DOCKER_DIR / "healthcheck.py").read_text()
    assert "from grpc_health.v1 import health_pb2, health_pb2_grpc" in probe
    assert 'env.get("CAREERVAULT_PORT"' in probe
    for name in twins(service):
        check = image_of(name).last("HEALTHCHECK")
        assert check is not None and check.exec_form() == ["python", "/app/healthcheck.py"]
        assert "test" not in services()[name]["healthcheck"], f"{name}: compose replaces it"
    # Envoy asks the same protocol for the service's own name, which the server marks SERVING
    # along with "" (libs/src/careervault/runtime/server.py).
    assert render.SERVICES[service].full_name == full_name(service)
    assert render.SERVICES[service].default_port == SERVICE_PORTS[service]


def test_gateway_clusters_are_the_services_on_their_ports_health_checked(
    gateway_config: tuple[str, dict[str, Any]],
) -> None:
    name, config = gateway_config
    found = clusters(config)
    for service, port in SERVICE_PORTS.items():
        cluster = found[service]
        host = service if name == "compose" else discovery_name(service)
        assert endpoints(cluster) == [{"address": host, "port_value": port}], name
        # Names resolved by DNS: Docker's, or ECS Service Connect's (its local proxy).
        assert cluster["type"] == "STRICT_DNS"
        (check,) = cluster["health_checks"]
        assert check["grpc_health_check"] == {"service_name": full_name(service)}
        if name == "compose":
            assert cluster["common_lb_config"]["healthy_panic_threshold"] == {"value": 0}
        else:  # the production target: one proxy per name, never ejected
            assert "outlier_detection" not in cluster
    listener = config["static_resources"]["listeners"][0]["address"]["socket_address"]
    assert listener == {"address": "0.0.0.0", "port_value": GATEWAY_PORT}
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"


def test_gateway_traces_only_when_built_with_a_collector(
    gateway_config: tuple[str, dict[str, Any]],
) -> None:
    name, config = gateway_config
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    tracing = hcm["typed_config"].get("tracing")
    if name != "production-traced":
        assert tracing is None, name
        assert render.OTLP_CLUSTER not in clusters(config)
        return
    assert tracing["provider"]["name"] == "envoy.tracers.opentelemetry"
    assert tracing["random_sampling"] == {"value": 10.0}
    service = tracing["provider"]["typed_config"]["http_service"]["http_uri"]
    assert service["uri"] == "https://otel-collector.example:4318/v1/traces"
    collector = clusters(config)[service["cluster"]]
    assert endpoints(collector) == [{"address": "otel-collector.example", "port_value": 4318}]
    assert "transport_socket" in collector  # https: TLS to the collector


def test_gateway_trusts_the_issuer_of_its_deployment(
    gateway_config: tuple[str, dict[str, Any]],
) -> None:
    name, config = gateway_config
    provider = jwt_provider(config)
    if name == "compose":
        assert provider["issuer"] == "careervault-local"
        assert provider["local_jwks"]["filename"].endswith("/identity-data/identity/jwks.json")
        assert "jwks" not in clusters(config)
        return
    args = build_args(AWS_GATEWAY) if name == "aws-local" else EXAMPLE_COGNITO
    region, pool = args["COGNITO_REGION"], args["COGNITO_USER_POOL_ID"]
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    assert provider["issuer"] == issuer
    uri = provider["remote_jwks"]["http_uri"]["uri"]
    jwks = clusters(config)["jwks"]
    if name == "aws-local":
        assert uri == f"http://cognito-local:9229/{pool}/.well-known/jwks.json"
        assert endpoints(jwks) == [{"address": "cognito-local", "port_value": 9229}]
        assert "transport_socket" not in jwks
        return
    # Production: the pool's own keys over HTTPS, the certificate checked for Cognito's name.
    host = f"cognito-idp.{region}.amazonaws.com"
    assert uri == f"{issuer}/.well-known/jwks.json"
    assert endpoints(jwks) == [{"address": host, "port_value": 443}]
    tls = jwks["transport_socket"]["typed_config"]
    assert tls["sni"] == host
    validation = tls["common_tls_context"]["validation_context"]
    assert validation["trusted_ca"] == {"filename": "/etc/ssl/certs/ca-certificates.crt"}
    assert validation["match_typed_subject_alt_names"] == [
        {"san_type": "DNS", "matcher": {"exact": host}}
    ]
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    assert hcm["typed_config"]["xff_num_trusted_hops"] == 2  # CloudFront, then the ALB
    # Behind ECS Service Connect each upstream is one proxy: never ejected, never "panic".
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] in SERVICE_PORTS:
            assert "outlier_detection" not in cluster, cluster["name"]
            assert "common_lb_config" not in cluster, cluster["name"]


def test_production_render_refuses_to_run_without_a_pool(tmp_path: Path, envoy: str) -> None:
    env = render_env("production", {}, tmp_path)
    with pytest.raises(render.ConfigError, match="COGNITO_REGION"):
        render.GatewayConfig.from_env(env, cwd=ROOT)


# ---------------------------------------------------------------------------------------------
# Environment variables: names the code reads, values it accepts


def known_names(service: str) -> set[str]:
    names = env_names(settings_class(service)) | RUNTIME_NAMES
    if service == "identity":
        from careervault_identity.cognito import CognitoSettings

        names |= env_names(CognitoSettings)
    if service in BOTO3_USERS:
        names |= BOTOCORE_NAMES
    return names


@pytest.mark.parametrize("name", [n for s in GRPC_SERVICES for n in twins(s)])
def test_every_variable_a_container_gets_is_one_its_service_reads(name: str) -> None:
    service = name.removesuffix(AWS_SUFFIX)
    given = set(image_of(name).env) | set(environment(name))
    unknown = given - known_names(service)
    assert not unknown, f"{name}: read by nothing: {sorted(unknown)}"


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for key in list(os.environ):
        if key.startswith(("CAREERVAULT_", "COGNITO_", "AWS_", "GEMINI_")):
            monkeypatch.delenv(key)
    yield monkeypatch


@pytest.mark.parametrize("name", [n for s in GRPC_SERVICES for n in twins(s)])
def test_the_settings_a_container_gets_are_accepted_by_its_service(
    name: str, clean_environ: pytest.MonkeyPatch
) -> None:
    service = name.removesuffix(AWS_SUFFIX)
    if service == "extraction" and not shutil.which("tesseract"):
        pytest.skip("extraction's settings check the installed tesseract (make ocr)")
    image = image_of(name)
    env = {k: substitute(v, image.args) for k, v in image.env.items() if k not in RUNTIME_NAMES}
    for key, value in environment(name).items():
        # What the host passes through: a stand-in of the required shape.
        env[key] = value if value is not None else "x" * 40
    for key, value in env.items():
        clean_environ.setenv(key, value)
    try:
        settings = settings_class(service)()
    except ValidationError as exc:
        pytest.fail(f"{name}: {exc}")
    assert settings.port == SERVICE_PORTS[service]
    assert settings.host == "0.0.0.0"
    if name.endswith(AWS_SUFFIX):
        pool = environment(name)["COGNITO_USER_POOL_ID"]
        assert settings.token_issuer.endswith(f"amazonaws.com/{pool}")
        assert settings.token_jwks_url == environment(name)["COGNITO_JWKS_URL"]
    else:
        assert settings.token_issuer == "careervault-local"


# ---------------------------------------------------------------------------------------------
# aws-local end to end: the seeded cognito-local's tokens pass the services' verifier and the
# production gateway's jwt_authn and RBAC (the same files compose mounts, run here).


@pytest.fixture(scope="module")
def seeded_cognito_local() -> Iterator[Any]:
    from tests.identity.cognito_local import CognitoLocal, find_binary

    binary = find_binary()
    if binary is None:
        pytest.skip("cognito-local is not installed (set COGNITO_LOCAL_BIN)")
    server = CognitoLocal(binary)
    # What the compose entrypoint does: the seed, copied into its state directory.
    shutil.copytree(COGNITO_SEED, Path(server._dir.name) / ".cognito")
    with server:
        yield server


def access_token(server: Any) -> str:
    import boto3

    env = environment(f"identity{AWS_SUFFIX}")
    client_id, pool = str(env["COGNITO_CLIENT_ID"]), str(env["COGNITO_USER_POOL_ID"])
    # No credentials: identity's calls are the pool's public operations.
    cognito = boto3.session.Session().client(
        "cognito-idp", region_name=str(env["COGNITO_REGION"]), endpoint_url=server.endpoint
    )
    email = f"aws-local-{uuid.uuid4().hex[:8]}@example.com"
    password = "Compose-L0cal!"
    cognito.sign_up(
        ClientId=client_id,
        Username=email,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    cognito.confirm_sign_up(
        ClientId=client_id, Username=email, ConfirmationCode=server.code_for(pool, email)
    )
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    token = result["AuthenticationResult"]["AccessToken"]
    assert isinstance(token, str)
    cognito.close()
    return token


@pytest.mark.integration
def test_aws_local_tokens_pass_the_services_and_the_production_gateway(
    seeded_cognito_local: Any,
    clean_environ: pytest.MonkeyPatch,
    envoy: str,
    tmp_path: Path,
) -> None:
    import asyncio

    from careervault.runtime.auth import verifier_from_settings
    from careervault.runtime.settings import CommonSettings

    server = seeded_cognito_local
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        clean_environ.delenv(key, raising=False)
    token = access_token(server)
    pool = build_args(AWS_GATEWAY)["COGNITO_USER_POOL_ID"]
    local_jwks = f"{server.endpoint}/{pool}/.well-known/jwks.json"

    # Every service verifies it with the settings compose gives it (JWKS at the stand-in).
    for service in GRPC_SERVICES:
        given = environment(f"{service}{AWS_SUFFIX}")
        for key in ("CAREERVAULT_IDENTITY_BACKEND", "COGNITO_REGION", "COGNITO_USER_POOL_ID"):
            clean_environ.setenv(key, str(given[key]))
        clean_environ.setenv("COGNITO_CLIENT_ID", str(given["COGNITO_CLIENT_ID"]))
        clean_environ.setenv("COGNITO_JWKS_URL", local_jwks)
        claims = asyncio.run(verifier_from_settings(CommonSettings()).verify(token))
        assert claims["token_use"] == "access"

    # The production gateway image's configuration, built with the aws-local args.
    args = build_args(AWS_GATEWAY) | {"COGNITO_JWKS_URL": local_jwks}
    env = render_env("production", args, tmp_path)
    http, admin = free_port(), free_port()
    env |= {"CAREERVAULT_HTTP_HOST": "127.0.0.1", "CAREERVAULT_HTTP_PORT": str(http)}
    env |= {"CAREERVAULT_ENVOY_ADMIN_PORT": str(admin), "CAREERVAULT_GATEWAY_ACCESS_LOG": "0"}
    # No service runs here, and the discovery names are not looked up: a closed local port.
    for service in GRPC_SERVICES:
        env[f"CAREERVAULT_{service.upper()}_UPSTREAMS"] = f"127.0.0.1:{free_port()}"
    config = tmp_path / "envoy.json"
    config.write_text(json.dumps(render.render(render.GatewayConfig.from_env(env, cwd=ROOT))))
    proc = subprocess.Popen(
        [envoy, "-c", str(config), "--disable-hot-restart", "--concurrency", "1", "-l", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def status(token: str | None) -> int:
            request = urllib.request.Request(f"http://127.0.0.1:{http}/v1/jobs")
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=5) as reply:
                    return int(reply.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        deadline = time.monotonic() + 20
        while True:
            try:
                first = status(None)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "envoy did not listen"
                time.sleep(0.1)
        assert first == 401
        # Past jwt_authn and RBAC; no jobs service runs here, so Envoy has no healthy host.
        assert status(token) == 503
        assert status(token[:-4] + "AAAA") == 401
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
