"""A real moto server on a free loopback port, for tests of the DynamoDB and Cognito backends.

The backends talk to it over HTTP exactly as they talk to AWS (boto3 honours
`AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`); nothing in the
SDK is patched. The server runs in its own process group and is stopped by its PID: SIGTERM,
then SIGKILL if it is still there after a grace period.

By default requests are handled one at a time (`serialize=True`). moto's server is threaded and
its backends take no locks: a failed TransactWriteItems rolls back by restoring a copy of the
whole table taken when it began, which undoes or resurrects the writes of transactions that ran
meanwhile. Real DynamoDB applies each request atomically; serializing gives tests of concurrent
writers the same guarantee. `serialize=False` runs the stock `moto_server`.

    with MotoServer() as moto:
        env = dynamo_env(moto.endpoint)
        ...
        moto.reset()  # forget every table, pool and item (about 50 ms)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from gateway.stack import free_port

HOST = "127.0.0.1"
REGION = "us-east-1"


def dynamo_env(endpoint: str) -> dict[str, str]:
    """Environment for a process (or boto3 in this one) that should use moto's DynamoDB."""
    return {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


def cognito_env(endpoint: str) -> dict[str, str]:
    """Environment for a process that should use moto's Cognito user pools."""
    return {
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


# The stock server (moto/server.py) with every request under one lock.
_SERIALIZED = """
import os, signal, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app,
)
host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)
"""


def _command(port: int, serialize: bool) -> list[str]:
    if serialize:
        return [sys.executable, "-c", _SERIALIZED, HOST, str(port)]
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script), "-H", HOST, "-p", str(port)]
    found = shutil.which("moto_server")
    if found:
        return [found, "-H", HOST, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


class MotoServer:
    """`moto_server` as a child process. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        port: int | None = None,
        env: dict[str, str] | None = None,
        start_timeout: float = 30.0,
        stop_grace: float = 5.0,
        serialize: bool = True,
    ) -> None:
        self.port = port or free_port(HOST)
        self.endpoint = f"http://{HOST}:{self.port}"
        self.extra_env = dict(env or {})
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.serialize = serialize
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.proc is not None:
            return
        env = {**os.environ, **self.extra_env}
        # Fake credentials for the server's own use; never a real account.
        env.setdefault("AWS_ACCESS_KEY_ID", "testing")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        env.setdefault("AWS_DEFAULT_REGION", REGION)
        self._log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log")  # noqa: SIM115
        self.proc = subprocess.Popen(
            _command(self.port, self.serialize),
            # Not the repository: `import moto` must not find tests/support/moto.py.
            cwd=tempfile.gettempdir(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited with {self.proc.returncode} before serving:\n{self.log()}"
                )
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError(
            f"moto_server did not answer on {self.endpoint} within {self.start_timeout} s:\n"
            f"{self.log()}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1) as r:
                return int(r.status) == 200
        except (OSError, urllib.error.URLError):
            return False

    def reset(self) -> None:
        """Forgets all state (tables, items, user pools)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            if int(r.status) != 200:
                raise RuntimeError(f"moto reset answered {r.status}")

    def log(self) -> str:
        """What the server printed so far (its request log and errors)."""
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-20_000:]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # Its own session: signal its process group by the child's PID, nothing broader.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=self.stop_grace)
        if self._log is not None:
            self._log.close()
            self._log = None
