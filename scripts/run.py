"""`make run`: every service and Envoy on this machine, in the foreground, until Ctrl-C.

Settings come from the environment (CAREERVAULT_DATA_DIR, CAREERVAULT_HTTP_PORT,
CAREERVAULT_SERVICES, CAREERVAULT_<SVC>_PORT, CAREERVAULT_<SVC>_REPLICAS, ...; see README).
Each process logs to $CAREERVAULT_DATA_DIR/logs/<process>.log; the terminal gets a short
status. The work is done by gateway/stack.py, which the tests use too.

Exit status: 0 after Ctrl-C or SIGTERM, 1 when something failed to start or died.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.render import ConfigError  # noqa: E402 (needs the path above)
from gateway.stack import Stack, StackError  # noqa: E402

GENERATED = (ROOT / "build" / "careervault.pb", ROOT / "libs/src/careervault/jobs/v1/jobs_pb2.py")


def ensure_generated() -> None:
    """The Makefile generates first; this is the guard for `python scripts/run.py` alone."""
    if all(p.exists() for p in GENERATED):
        return
    print("generating code from protos/ (./scripts/gen.sh)", flush=True)
    env = {**os.environ, "PY": sys.executable}
    subprocess.run([str(ROOT / "scripts" / "gen.sh")], cwd=ROOT, env=env, check=True)


def ensure_web() -> None:
    """`make run` builds the web app first (`make web`); alone, this builds it when missing.
    Without npm the gateway serves web/placeholder, which says how to build it."""
    if (ROOT / "web" / "dist" / "index.html").is_file():
        return
    if not (shutil.which("npm") and shutil.which("make")):
        print("the web app is not built and npm is missing: serving the placeholder page")
        return
    print("building the web app (make web)", flush=True)
    subprocess.run(["make", "--no-print-directory", "web"], cwd=ROOT, check=True)


def status(message: str) -> None:
    print(message, flush=True)


def main() -> int:
    try:
        ensure_generated()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"code generation failed: {exc}", file=sys.stderr)
        return 1
    try:
        ensure_web()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"building the web app failed: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stopping:
            return  # already stopping in order; a second Ctrl-C must not leave orphans
        if not started.is_set():
            # Still starting: abort the start; Stack.start() cleans up what it launched.
            raise KeyboardInterrupt
        stop.set()

    started = threading.Event()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        stack = Stack.from_env(on_event=status)
    except (StackError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        stack.start()
    except KeyboardInterrupt:
        print("interrupted while starting; stopped", file=sys.stderr)
        return 1
    except (StackError, ConfigError, OSError) as exc:
        print(f"\nCareerVault did not start: {exc}", file=sys.stderr)
        return 1
    started.set()

    host_port = stack.url.replace("127.0.0.1", "localhost")
    print(
        f"\nCareerVault is running at {host_port} (started in {stack.started_in or 0:.2f} s)\n"
        f"  logs: {stack.logs_dir}/<process>.log   Envoy admin: {stack.admin_url} (loopback)\n"
        "  Ctrl-C to stop.",
        flush=True,
    )
    code = 0
    try:
        stack.wait(stop)
    except StackError as exc:
        print(f"\n{exc}\nstopping the rest", file=sys.stderr, flush=True)
        code = 1
    stopping = True
    if code == 0:
        print("\nstopping: draining Envoy, then the services", flush=True)
    stack.stop()
    print("stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
