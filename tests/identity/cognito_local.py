"""npm `cognito-local` as a child process: a second Cognito emulator that, unlike moto, checks
confirmation codes and has DeleteUser (it has no GlobalSignOut and no client secrets).

Optional: point `COGNITO_LOCAL_BIN` at its start script, e.g. after
`npm install --prefix ~/.cache/cognito-local cognito-local@5`:
`COGNITO_LOCAL_BIN=~/.cache/cognito-local/node_modules/.bin/cognito-local`. Found on PATH as
`cognito-local` too. `code_for` reads the codes it "sends" from its state files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from gateway.stack import free_port

HOST = "127.0.0.1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def find_binary() -> str | None:
    configured = os.environ.get("COGNITO_LOCAL_BIN", "")
    if configured:
        path = Path(configured).expanduser().resolve()
        return str(path) if path.exists() else None
    return shutil.which("cognito-local")


class CognitoLocal:
    def __init__(self, binary: str, start_timeout: float = 30.0) -> None:
        self.binary = binary
        self.port = free_port(HOST)
        self.endpoint = f"http://{HOST}:{self.port}"
        self.start_timeout = start_timeout
        self._dir = tempfile.TemporaryDirectory(prefix="cognito-local-")
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CognitoLocal:
        env = {**os.environ, "PORT": str(self.port), "HOST": HOST}
        # A pipe, read by a thread: written to a file, its log arrives in late chunks.
        self.proc = subprocess.Popen(
            [self.binary],
            cwd=self._dir.name,  # it keeps its state in ./.cognito
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cognito-local exited:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 0.5):
                return self
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"cognito-local did not listen on {self.endpoint}:\n{self.log()}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._dir.cleanup()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            with self._lock:
                self._lines.append(ANSI.sub("", line.decode(errors="replace")))

    def log(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def code_for(self, pool_id: str, email: str, timeout: float = 5.0) -> str:
        """The code last "sent" to `email`, from the pool's state file (its console output,
        where it prints them too, arrives late)."""
        path = Path(self._dir.name) / ".cognito" / "db" / f"{pool_id}.json"
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, ValueError):
                users = json.loads(path.read_text()).get("Users", {})
                for user in users.values():
                    attributes = {a["Name"]: a.get("Value") for a in user.get("Attributes", [])}
                    code = user.get("ConfirmationCode")
                    if attributes.get("email") == email and code:
                        return str(code)
            if time.monotonic() > deadline:
                raise AssertionError(f"no code for {email} in {path}:\n{self.log()[-2000:]}")
            time.sleep(0.05)
