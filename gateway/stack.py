"""Brings the whole system up on one machine: the services, then Envoy in front of them.

`scripts/run.py` (`make run`) is a thin CLI over this (`Stack.from_env`); tests use it to run
the real system on free ports:

    with Stack.on_free_ports(tmp, services=["identity", "jobs"]) as s:
        httpx.get(s.url + "/v1/jobs", ...)

Order matters: identity first, because it writes the JWKS file Envoy's jwt_authn reads once at
start; then the other services; then Envoy, whose config is rendered from the ports actually
used. `start()` returns once every service answers its gRPC health check, every Envoy cluster
is healthy and the listener serves `/`; it raises `StackError` with the last log lines of the
culprit otherwise. Every process is started in its own session (so a Ctrl-C in the terminal
reaches only this supervisor, which then stops things in order) and is only ever signalled by
the PID it was started with.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from gateway import render

REPO_ROOT = render.REPO_ROOT
SERVICE_MODULES = {
    "identity": "careervault_identity",
    "jobs": "careervault_jobs",
    "extraction": "careervault_extraction",
    "ai": "careervault_ai",
}
DEFAULT_SERVICES = ("identity", "jobs", "extraction", "ai")
POLL = 0.05
# The largest CAREERVAULT_SHUTDOWN_DELAY a service accepts (runtime/settings.py).
MAX_SHUTDOWN_DELAY = 60.0
# Under `make run` a service child's Prometheus endpoint is on its gRPC port + this.
METRICS_OFFSET = 10000


class StackError(RuntimeError):
    """Something did not start or died; the message names it and quotes its log."""


def metrics_port(grpc_port: int) -> int:
    """Where a service child of `make run` serves /metrics: its gRPC port + 10000 (jobs 60052,
    its replica 1 60152), or - 10000 when that is no port (a port set above 55535)."""
    port = grpc_port + METRICS_OFFSET
    return port if port <= 65535 else grpc_port - METRICS_OFFSET


def child_name(service: str, replica: int) -> str:
    """A service child's name: "jobs" for replica 0, "jobs-1" for replica 1..."""
    return service if replica == 0 else f"{service}-{replica}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the usual race applies; good enough for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """`n` distinct free ports (held open together while choosing, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True if something listens there. SO_REUSEADDR as servers set it, so connections in
    TIME_WAIT from a previous run do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file (reads at most the last 64 KiB)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


@dataclass
class Child:
    """One process the stack started."""

    name: str  # "identity", "jobs", "jobs-1" (replica 1), "envoy"
    service: str  # "identity", ..., "envoy"
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, cwd: Path) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # A JSON line like the services' own, so the log stays JSON lines.
        marker = {
            "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "level": "INFO",
            "logger": "stack",
            "message": "starting",
            "process": self.name,
            "argv": self.argv,
        }
        self._log.write((json.dumps(marker) + "\n").encode())
        self._log.flush()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Own session and process group: a terminal's Ctrl-C goes to the supervisor only,
            # and the group can be killed as a whole (with any helper it spawned) at the end.
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal(self, sig: int) -> None:
        if self.running():
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)

    def kill_group(self) -> None:
        """SIGKILL the process group this child leads (it and anything it spawned)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 20) -> str:
        return tail(self.log_path, lines)


class Stack:
    """The services and Envoy, as child processes on configurable ports."""

    def __init__(
        self,
        data_dir: Path | str = "./var",
        *,
        http_port: int = 8080,
        http_host: str = "127.0.0.1",
        admin_port: int | None = None,
        ports: Mapping[str, int] | None = None,
        services: Sequence[str] = DEFAULT_SERVICES,
        replicas: Mapping[str, int] | None = None,
        replica_ports: Mapping[str, Sequence[int]] | None = None,
        metrics_ports: Literal["offset", "free"] = "free",
        env: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        python: str | None = None,
        root: Path = REPO_ROOT,
        startup_timeout: float = 30.0,
        stop_timeout: float = 15.0,
        drain_seconds: float = 0.5,
        envoy_concurrency: int = 2,
        envoy_log_level: str = "warn",
        skip_missing: bool = False,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        """
        ports: base gRPC port per service (missing ones: 50051...50054 as in DESIGN.md).
        admin_port: Envoy admin (loopback); None picks a free port.
        services: which services to start; the gateway routes only those, and answers 503 for
            the others. With skip_missing, services whose module is not installed are dropped
            (with an event) instead of failing.
        replicas: processes per service; replica k listens on base port + 100 k.
        replica_ports: the ports of every replica of a service, replica 0 first, instead of
            base port + 100 k (they set its port and replica count): tests and benchmarks pick
            free ones, as any port derived from a free port may be someone else's.
        metrics_ports: where each service child serves /metrics: "offset", on its gRPC port
            + 10000 (`metrics_port`, the ports `make run` documents, checked before start), or
            "free", a port the OS calls free when the child starts (`metrics_url` finds it).
            CAREERVAULT_METRICS_PORT=0 in `env` turns the endpoints off.
        env: extra environment for every child (e.g. CAREERVAULT_JOBS_STORE=dynamodb), on top
            of this process's environment unless inherit_env is False.
        """
        self.root = root
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.http_host = http_host
        self.http_port = http_port
        self.admin_port = admin_port if admin_port is not None else free_port()
        unknown = [s for s in services if s not in SERVICE_MODULES]
        if unknown:
            raise StackError(f"unknown services {unknown}; known: {list(SERVICE_MODULES)}")
        # Start order: identity first (it writes the JWKS), then the rest as in SERVICES.
        self.services = [s for s in SERVICE_MODULES if s in services]
        self.ports = {s: render.SERVICES[s].default_port for s in SERVICE_MODULES}
        self.ports.update(ports or {})
        self.replicas = {s: 1 for s in SERVICE_MODULES}
        self.replicas.update({k: max(1, v) for k, v in (replicas or {}).items()})
        self._replica_ports = {
            s: [self.ports[s] + 100 * k for k in range(self.replicas[s])] for s in SERVICE_MODULES
        }
        for s, listed in (replica_ports or {}).items():
            if not listed:
                raise StackError(f"replica_ports[{s!r}] is empty")
            self._replica_ports[s] = list(listed)
            self.ports[s] = listed[0]
            self.replicas[s] = len(listed)
        self.metrics_ports = metrics_ports
        self.base_env = dict(os.environ) if inherit_env else {}
        self.base_env.update(env or {})
        self.python = python or sys.executable
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.drain_seconds = drain_seconds
        self.envoy_concurrency = envoy_concurrency
        self.envoy_log_level = envoy_log_level
        self.skip_missing = skip_missing
        self.on_event = on_event
        self.children: dict[str, Child] = {}
        self.envoy_config = self.data_dir / "envoy.json"
        self.started_in: float | None = None
        self._t0 = 0.0
        self._stopping = False
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Stack:
        """The stack `make run` starts: every setting from CAREERVAULT_* variables."""
        env = os.environ if env is None else env

        def num(name: str, default: int) -> int:
            raw = env.get(name, "")
            try:
                return int(raw) if raw else default
            except ValueError:
                raise StackError(f"{name} must be an integer, got {raw!r}") from None

        raw = env.get("CAREERVAULT_SERVICES", ",".join(DEFAULT_SERVICES))
        services = [s.strip() for s in raw.split(",") if s.strip()]
        kwargs: dict[str, object] = {
            "data_dir": env.get("CAREERVAULT_DATA_DIR") or "./var",
            "http_port": num("CAREERVAULT_HTTP_PORT", 8080),
            "http_host": env.get("CAREERVAULT_HTTP_HOST", "127.0.0.1"),
            "admin_port": num("CAREERVAULT_ENVOY_ADMIN_PORT", 9901),
            "ports": {
                s: num(f"CAREERVAULT_{s.upper()}_PORT", render.SERVICES[s].default_port)
                for s in SERVICE_MODULES
            },
            "replicas": {s: num(f"CAREERVAULT_{s.upper()}_REPLICAS", 1) for s in SERVICE_MODULES},
            "services": services,
            "metrics_ports": "offset",
            "skip_missing": True,
        }
        kwargs.update(overrides)
        return cls(**kwargs)  # type: ignore[arg-type]

    @classmethod
    def on_free_ports(
        cls,
        data_dir: Path | str,
        services: Sequence[str] = DEFAULT_SERVICES,
        replicas: Mapping[str, int] | None = None,
        **kwargs: object,
    ) -> Stack:
        """A stack whose every port (Envoy's, every replica's gRPC port, the admin and metrics
        ports) is one the OS called free: for tests and benchmarks, which run stacks side by
        side and beside other servers. Other settings as for `Stack`."""
        counts = {s: max(1, (replicas or {}).get(s, 1)) for s in services}
        http_port, *grpc_ports = free_ports(1 + sum(counts.values()))
        chosen = iter(grpc_ports)
        return cls(
            data_dir,
            http_port=http_port,
            services=services,
            replica_ports={s: [next(chosen) for _ in range(n)] for s, n in counts.items()},
            metrics_ports="free",
            **kwargs,  # type: ignore[arg-type]
        )

    # --- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the gateway, e.g. http://127.0.0.1:8080."""
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def replica_ports(self, service: str) -> list[int]:
        return list(self._replica_ports[service])

    def replica_targets(self, service: str) -> list[str]:
        """host:port of every replica (Envoy's upstreams, the services' address lists)."""
        return [f"127.0.0.1:{p}" for p in self.replica_ports(service)]

    def metrics_url(self, service: str, replica: int = 0) -> str:
        """The Prometheus endpoint of one started replica, or of a child by name (`spawn`ed
        ones)."""
        name = child_name(service, replica)
        child = self.children.get(name)
        if child is None:
            raise StackError(f"{name} was not started")
        port = int(child.env.get("CAREERVAULT_METRICS_PORT") or 0)
        if not port:
            raise StackError(f"{service}: metrics are off (CAREERVAULT_METRICS_PORT=0)")
        return f"http://127.0.0.1:{port}/metrics"

    def grpc_target(self, service: str, replica: int = 0) -> str:
        """host:port of one replica, for direct gRPC calls (the CLI, tests)."""
        return self.replica_targets(service)[replica]

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Stack:
        """Starts everything and returns once it all answers; raises StackError otherwise."""
        self._t0 = time.monotonic()
        self._stopping = False
        atexit.register(self.stop)  # children have their own sessions: never orphan them
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - self._t0
        return self

    def _start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._drop_missing_modules()
        if not self.services:
            raise StackError("no service to start")
        self._check_ports()
        # Render once before starting anything, so a bad gateway setting fails in
        # milliseconds rather than after the services came up (the JWKS does not exist yet).
        self._gateway_config(dry_run=True)

        first = [s for s in self.services if s == "identity"]
        rest = [s for s in self.services if s != "identity"]
        for group in (first, rest):
            if not group:
                continue
            started = [self._start_service(s, k) for s in group for k in range(self.replicas[s])]
            self._wait_services(started)
            if group == first:
                self._check_jwks()

        try:
            render.write(self._gateway_config(), self.envoy_config)
        except render.ConfigError as exc:
            raise StackError(f"gateway configuration: {exc}") from None
        self._start_envoy()
        self._wait_envoy()

    def _drop_missing_modules(self) -> None:
        kept = []
        for s in self.services:
            module = SERVICE_MODULES[s]
            # find_spec in this interpreter stands for the child's: both are self.python
            # unless a caller passed another one, in which case we trust it.
            if self.python == sys.executable and importlib.util.find_spec(module) is None:
                if not self.skip_missing:
                    raise StackError(f"{s}: module {module} is not installed (uv sync?)")
                self._event(f"{s:<10} skipped: module {module} is not installed")
                continue
            kept.append(s)
        self.services = kept

    def _check_ports(self) -> None:
        wanted: list[tuple[str, str, int]] = [
            (s, "127.0.0.1", p) for s in self.services for p in self.replica_ports(s)
        ]
        if self.metrics_ports == "offset" and not self._metrics_off():
            wanted += [
                (f"{s} metrics", "127.0.0.1", metrics_port(p))
                for s in self.services
                for p in self.replica_ports(s)
            ]
        wanted.append(("envoy", self.http_host or "0.0.0.0", self.http_port))
        wanted.append(("envoy admin", "127.0.0.1", self.admin_port))
        seen: dict[int, str] = {}
        for who, host, port in wanted:
            if port in seen:
                raise StackError(f"port {port} is configured for both {seen[port]} and {who}")
            seen[port] = who
            if port_in_use(port, host):
                raise StackError(
                    f"port {port} ({who}) is already in use: is another CareerVault running? "
                    "Change it with the CAREERVAULT_*_PORT variables."
                )

    def _child_env(self, service: str, port: int, replica: int) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(
            {
                "CAREERVAULT_DATA_DIR": str(self.data_dir),
                # Each service reads its own address from these two.
                "CAREERVAULT_HOST": "127.0.0.1",
                "CAREERVAULT_PORT": str(port),
                "CAREERVAULT_REPLICA": str(replica),
                "CAREERVAULT_METRICS_PORT": str(self._metrics_port(port)),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # Where the others are, for service-to-service calls: every replica, so that a caller
        # spreads its calls and skips a replica that is draining or down
        # (careervault.runtime.balancing).
        for s in self.services:
            env[f"CAREERVAULT_{s.upper()}_PORT"] = str(self.ports[s])
            env[f"CAREERVAULT_{s.upper()}_ADDRESS"] = ",".join(self.replica_targets(s))
        # A replica with siblings, told to stop with SIGTERM (`kill(name, SIGTERM)`, an
        # orchestrator), keeps serving while NOT_SERVING until Envoy's health checks have
        # taken it out, so no new request meets a closed port. A lone replica has no sibling
        # to take over and stops at once. `stop()` sends SIGINT, which skips the delay:
        # Envoy is gone by then. An explicit CAREERVAULT_SHUTDOWN_DELAY wins.
        if self.replicas[service] > 1 and "CAREERVAULT_SHUTDOWN_DELAY" not in self.base_env:
            delay = min(render.drain_seconds(self._gateway_config()), MAX_SHUTDOWN_DELAY)
            env["CAREERVAULT_SHUTDOWN_DELAY"] = f"{delay:g}"
        return env

    def _metrics_off(self) -> bool:
        """CAREERVAULT_METRICS_PORT=0 in the stack's environment: no endpoints."""
        return self.base_env.get("CAREERVAULT_METRICS_PORT") == "0"

    def _metrics_port(self, grpc_port: int) -> int:
        if self._metrics_off():
            return 0
        return metrics_port(grpc_port) if self.metrics_ports == "offset" else free_port()

    def _start_service(self, service: str, replica: int) -> Child:
        port = self.replica_ports(service)[replica]
        return self._launch(
            service, child_name(service, replica), port, self._child_env(service, port, replica)
        )

    def _launch(self, service: str, name: str, port: int, env: dict[str, str]) -> Child:
        child = Child(
            name=name,
            service=service,
            argv=[self.python, "-m", SERVICE_MODULES[service]],
            env=env,
            log_path=self.logs_dir / f"{name}.log",
            port=port,
        )
        self.children[name] = child
        child.start(self.root)
        self._event(f"{name:<10} starting on 127.0.0.1:{port} (pid {child.pid})")
        return child

    def _wait_services(self, children: Sequence[Child]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        pending = list(children)
        while pending:
            for child in list(pending):
                self._fail_if_dead(child, "while starting")
                assert child.port is not None
                if grpc_serving(child.port):
                    pending.remove(child)
                    took = time.monotonic() - child.started_at
                    self._event(f"{child.name:<10} healthy in {took:.2f} s")
            if pending and time.monotonic() > deadline:
                culprit = pending[0]
                raise StackError(
                    f"{culprit.name} did not become healthy within {self.startup_timeout:g} s "
                    f"(gRPC health on 127.0.0.1:{culprit.port}); last lines of "
                    f"{culprit.log_path}:\n{culprit.tail()}"
                )
            if pending:
                time.sleep(POLL)

    def _gateway_config(self, dry_run: bool = False) -> render.GatewayConfig:
        """The gateway settings for this stack; dry_run also renders them (minus the JWKS
        check) to surface every configuration error."""
        try:
            cfg = render.GatewayConfig.from_env(self._gateway_env(), services=self.services)
            if dry_run:
                render.render(cfg, check_jwks=False)
        except render.ConfigError as exc:
            raise StackError(f"gateway configuration: {exc}") from None
        return cfg

    def _check_jwks(self) -> None:
        cfg = self._gateway_config()
        if isinstance(cfg.jwks, render.LocalJwks) and not cfg.jwks.path.is_file():
            child = self.children.get("identity")
            raise StackError(
                f"identity is healthy but did not write {cfg.jwks.path}, which Envoy needs"
                + (f"; last lines of its log:\n{child.tail()}" if child else "")
            )

    def _gateway_env(self) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(
            {
                "CAREERVAULT_DATA_DIR": str(self.data_dir),
                "CAREERVAULT_HTTP_HOST": self.http_host,
                "CAREERVAULT_HTTP_PORT": str(self.http_port),
                "CAREERVAULT_ENVOY_ADMIN_PORT": str(self.admin_port),
            }
        )
        for s in self.services:
            env[f"CAREERVAULT_{s.upper()}_UPSTREAMS"] = ",".join(self.replica_targets(s))
        return env

    def _start_envoy(self) -> None:
        argv = [
            render.envoy_binary(),
            "-c",
            str(self.envoy_config),
            # With hot restart on, Envoy dies with its launcher's session and a second one
            # fails to bind its shared-memory socket.
            "--disable-hot-restart",
            "--concurrency",
            str(self.envoy_concurrency),
            "--log-level",
            self.envoy_log_level,
            # The file server is marked work-in-progress; that warning repeats per message.
            "--component-log-level",
            "misc:error",
            "--drain-time-s",
            str(max(1, round(self.drain_seconds))),
        ]
        child = Child(
            name="envoy",
            service="envoy",
            argv=argv,
            env=dict(self.base_env),
            log_path=self.logs_dir / "envoy.log",
            port=self.http_port,
        )
        self.children["envoy"] = child
        child.start(self.root)
        self._event(f"{'envoy':<10} starting on {self.url} (pid {child.pid})")

    def _wait_envoy(self) -> None:
        child = self.children["envoy"]
        deadline = time.monotonic() + self.startup_timeout
        waiting_for = "admin /ready"
        while True:
            self._fail_if_dead(child, "while starting")
            waiting_for = self._envoy_not_ready()
            if not waiting_for:
                break
            if time.monotonic() > deadline:
                raise StackError(
                    f"envoy not ready within {self.startup_timeout:g} s (waiting for "
                    f"{waiting_for}); last lines of {child.log_path}:\n{child.tail()}"
                )
            time.sleep(POLL)
        self._event(f"{'envoy':<10} ready in {time.monotonic() - child.started_at:.2f} s")

    def _envoy_not_ready(self) -> str:
        """What Envoy is still missing ('' once ready): live, healthy clusters, serving."""
        status, _ = http_get(self.admin_url + "/ready")
        if status != 200:
            return "admin /ready"
        unhealthy = self.unhealthy_hosts()
        if unhealthy:
            return "healthy clusters: " + ", ".join(unhealthy)
        status, _ = http_get(self.url + "/")
        if status != 200:
            return f"GET {self.url}/ (got {status})"
        return ""

    def unhealthy_hosts(self) -> list[str]:
        """`cluster host flags` for every service host Envoy does not consider healthy."""
        status, body = http_get(self.admin_url + "/clusters")
        if status != 200:
            return ["admin /clusters unavailable"]
        flags: dict[tuple[str, str], str] = {}
        for line in body.splitlines():
            parts = line.split("::")
            if len(parts) == 4 and parts[2] == "health_flags" and parts[0] in self.services:
                flags[(parts[0], parts[1])] = parts[3]
        expected = {(s, t) for s in self.services for t in self.replica_targets(s)}
        return [
            f"{c} {h} {flags.get((c, h), 'missing')}"
            for c, h in sorted(expected)
            if flags.get((c, h)) != "healthy"
        ]

    def _fail_if_dead(self, child: Child, when: str) -> None:
        code = child.returncode()
        if code is not None:
            raise StackError(
                f"{child.name} exited with code {code} {when}; last lines of "
                f"{child.log_path}:\n{child.tail()}"
            )

    # --- running --------------------------------------------------------------------------

    def dead(self) -> list[Child]:
        """Children that exited (and were not stopped by `stop()`)."""
        return [c for c in self.children.values() if c.proc is not None and not c.running()]

    def check(self) -> None:
        """Raises StackError naming the first child that died, with its last log lines."""
        for child in self.dead():
            self._fail_if_dead(child, "unexpectedly")

    def wait(self, stop: threading.Event, interval: float = 0.25) -> None:
        """Blocks until `stop` is set; raises StackError as soon as a child dies."""
        while not stop.wait(interval):
            self.check()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signals one child by name (fault tests: kill a replica, see the gateway cope); for
        SIGKILL and SIGTERM, waits until it has exited (SIGTERM: after draining, see
        `_child_env`)."""
        self.children[name].signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.children[name].wait(self.stop_timeout)

    def restart(self, name: str) -> None:
        """Starts a stopped service child again on the same port and waits until healthy."""
        old = self.children[name]
        if old.running():
            raise StackError(f"{name} is still running")
        old.close()
        replica = 0 if name == old.service else int(name.rsplit("-", 1)[1])
        self._wait_services([self._start_service(old.service, replica)])

    def spawn(
        self,
        service: str,
        name: str,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> Child:
        """Starts one more process of `service` beside the stack, with extra environment, and
        returns once it is healthy (tests: an ai service configured for Gemini and pointed at
        a fake server). It reaches the stack's services like the others do, is not behind
        Envoy (call it over gRPC at `grpc_target`-style `127.0.0.1:<child.port>`), and is
        stopped with the stack or by `discard(name)`."""
        if service not in SERVICE_MODULES:
            raise StackError(f"unknown service {service}; known: {list(SERVICE_MODULES)}")
        if name in self.children:
            raise StackError(f"a process named {name} exists already")
        port = port if port is not None else free_port()
        child_env = self._child_env(service, port, 0)
        child_env.update(env or {})
        child = self._launch(service, name, port, child_env)
        try:
            self._wait_services([child])
        except BaseException:
            self.discard(name)
            raise
        return child

    def discard(self, name: str) -> None:
        """Stops one process (SIGTERM, then SIGKILL to its group) and forgets it."""
        child = self.children.pop(name)
        if child.running():
            child.signal(signal.SIGTERM)
            if not child.wait(self.stop_timeout):
                child.kill_group()
                child.wait(2.0)
        child.close()

    def stop(self) -> None:
        """Envoy drains first, then the services get SIGINT (they finish their calls in flight
        and exit); whatever is left after `stop_timeout` is killed. Safe to call twice."""
        atexit.unregister(self.stop)
        with self._lock:
            if self._stopping or not self.children:
                return
            self._stopping = True
        # Only groups whose leader is alive now are killed at the end: a group that emptied
        # long ago may have had its id reused by an unrelated process since.
        alive = {name for name, child in self.children.items() if child.running()}
        envoy = self.children.get("envoy")
        if envoy is not None and envoy.running():
            # Fail Envoy's own health check so a load balancer stops sending, let listeners
            # drain (connections are asked to close), then stop. A bare SIGTERM cuts streams.
            http_post(self.admin_url + "/healthcheck/fail")
            http_post(self.admin_url + "/drain_listeners?graceful")
            time.sleep(self.drain_seconds)
            envoy.signal(signal.SIGTERM)
            if not envoy.wait(5.0):
                envoy.kill_group()
                envoy.wait(2.0)
        services = [c for c in self.children.values() if c.service != "envoy"]
        for child in services:
            # SIGINT, not SIGTERM: stop now (calls in flight still get their grace), without
            # the drain delay a replica waits for Envoy's health checks after SIGTERM; Envoy
            # is already gone, and Ctrl-C should not take seconds.
            child.signal(signal.SIGINT)
        deadline = time.monotonic() + self.stop_timeout
        for child in services:
            if not child.wait(deadline - time.monotonic()):
                self._event(f"{child.name:<10} did not stop in {self.stop_timeout:g} s: killed")
        for name, child in self.children.items():
            if name in alive:
                # Also takes down anything the child spawned (worker processes) and left.
                child.kill_group()
                child.wait(2.0)
            child.close()
        self.children.clear()
        self._stopping = False

    def _event(self, message: str) -> None:
        if self.on_event is not None:
            self.on_event(f"[{time.monotonic() - self._t0:6.2f}s] {message}")

    def processes(self) -> Iterator[tuple[str, int | None, Path]]:
        for child in self.children.values():
            yield child.name, child.pid, child.log_path


def grpc_serving(
    port: int, host: str = "127.0.0.1", timeout: float = 0.5, service: str = ""
) -> bool:
    """True once the gRPC health check answers SERVING for `service` ("" = the server)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    # A TCP probe first: cheap, and it avoids a channel's reconnect backoff (up to 1 s)
    # delaying the first successful check.
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError:
        return False
    with grpc.insecure_channel(
        f"{host}:{port}", options=[("grpc.enable_http_proxy", 0)]
    ) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def http_get(url: str, timeout: float = 1.0) -> tuple[int, str]:
    """(status, body); status 0 when nothing answered."""
    return _http("GET", url, timeout)


def http_post(url: str, timeout: float = 1.0) -> tuple[int, str]:
    return _http("POST", url, timeout)


# Loopback only: never through an http_proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http(method: str, url: str, timeout: float) -> tuple[int, str]:
    if not url.startswith("http://"):
        raise ValueError(f"not a loopback http URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, method=method, data=b"" if method == "POST" else None
    )
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            return int(resp.status), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return 0, ""
