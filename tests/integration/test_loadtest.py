"""The k6 scenarios in loadtest/ run against the real system, each for a few seconds.

Correctness only (speed is `make bench`'s business): k6 exits 0, every check passed, no request
failed, and every scenario of the script made iterations; the latency thresholds are switched
off (CV_LATENCY_THRESHOLDS=0) because this machine is shared with other suites. Also: a system
that answers with errors makes k6 exit non-zero.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import render
from gateway.stack import Stack
from scripts import bench_load
from tests.support.stack import own_stack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "jobs", "ai")


@pytest.fixture(scope="module")
def load_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The edge rate limits would throttle one client at full speed (they have their own tests).
    data = tmp_path_factory.mktemp("loadtest-data")
    with own_stack(data, SERVICES, render.RATE_LIMITS_OFF) as stack:
        yield stack


@pytest.fixture(scope="module")
def session(load_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two users with 8 applications each, made and handed to k6 by scripts/bench_load.py."""
    accounts = [bench_load.new_account(load_stack, f"test{i}", 8, seed=i) for i in range(2)]
    return bench_load.write_session(tmp_path_factory.mktemp("loadtest") / "users.json", accounts)


def k6(
    stack: Stack, script: str, tmp_path: Path, **settings: str
) -> tuple[int, dict[str, Any], str]:
    """Runs a script; (exit code, its summary's metrics and checks, its output)."""
    summary = tmp_path / f"{script}.json"
    argv = [
        bench_load.k6_binary(),
        "run",
        "--no-color",
        "--no-usage-report",
        "--summary-export",
        str(summary),
    ]
    env = {
        "CV_BASE_URL": stack.url,
        "CV_JOBS_GRPC": stack.grpc_target("jobs"),
        "CV_LATENCY_THRESHOLDS": "0",
        **settings,
    }
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    argv.append(str(ROOT / "loadtest" / script))
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=90, check=False)
    output = done.stdout + done.stderr
    data = json.loads(summary.read_text()) if summary.exists() else {}
    metrics = data.get("metrics", {})
    metrics["passed checks"] = passed_checks(data.get("root_group", {}))
    return done.returncode, metrics, output


def passed_checks(group: dict[str, Any]) -> dict[str, int]:
    """Check name -> passes, from the summary's tree of groups."""
    out = {name: int(c["passes"]) for name, c in group.get("checks", {}).items()}
    for sub in group.get("groups", {}).values():
        for name, passes in passed_checks(sub).items():
            out[name] = out.get(name, 0) + passes
    return out


def assert_clean_run(
    result: tuple[int, dict[str, Any], str], scenarios: list[str], http: bool = True
) -> None:
    code, metrics, output = result
    assert code == 0, output[-3000:]
    checks = metrics["checks"]
    assert checks["passes"] > 0 and checks["fails"] == 0, checks
    for scenario in scenarios:
        assert metrics[f"iterations{{scenario:{scenario}}}"]["count"] > 0, scenario
    if http:
        # http_req_failed is a rate: its "passes" are the failed requests.
        assert metrics["http_req_failed"]["passes"] == 0, metrics["http_req_failed"]


def test_the_job_seekers_mix_signs_its_users_up_and_runs_clean(
    load_stack: Stack, tmp_path: Path
) -> None:
    result = k6(
        load_stack,
        "rest_mix.js",
        tmp_path,
        CV_VUS="2",
        CV_DURATION="3s",
        CV_USERS="1",
        CV_JOBS="4",
        CV_ANALYSIS_SHARE="0.3",
    )
    assert_clean_run(result, ["seeker"])
    # Every part of a visit happened and was checked, the analysis included.
    passed = result[1]["passed checks"]
    for check in ("list: 200", "get: 200", "update: new etag", "stats: 200", "analyze: 200"):
        assert passed.get(check, 0) > 0, (check, passed)


def test_the_spike_and_the_soak_run_clean(load_stack: Stack, session: Path, tmp_path: Path) -> None:
    spike = k6(
        load_stack,
        "rest_spike.js",
        tmp_path,
        CV_SESSION=str(session),
        CV_BASE_RATE="5",
        CV_PEAK_RATE="25",
        CV_WARM="1s",
        CV_RAMP="1s",
        CV_HOLD="2s",
        CV_COOL="1s",
    )
    assert_clean_run(spike, ["spike"])
    soak = k6(
        load_stack,
        "rest_soak.js",
        tmp_path,
        CV_SESSION=str(session),
        CV_RATE="10",
        CV_DURATION="3s",
        # The machine is shared: a visit k6 could not start in time is not a failure here.
        CV_MAX_DROPPED="1000",
    )
    assert_clean_run(soak, ["soak"])


def test_native_grpc_calls_and_the_health_baseline_run_clean(
    load_stack: Stack, session: Path, tmp_path: Path
) -> None:
    result = k6(
        load_stack, "grpc.js", tmp_path, CV_SESSION=str(session), CV_VUS="1", CV_DURATION="2s"
    )
    # Each scenario's checks include the call's status OK and its answer's content.
    assert_clean_run(result, ["grpc_get", "grpc_list", "grpc_stats", "grpc_health"], http=False)


def test_the_per_route_runs_of_the_benchmark_work_open_and_closed_loop(
    load_stack: Stack, session: Path, tmp_path: Path
) -> None:
    common = {"CV_SESSION": str(session), "CV_DURATION": "2s"}
    for route, load in (
        ("rest_list", {"CV_RATE": "20"}),
        ("rest_list_basic", {"CV_RATE": "20"}),
        ("grpc_list_basic", {"CV_VUS": "1"}),
        ("grpc_get", {"CV_VUS": "2"}),
    ):
        result = k6(load_stack, "routes.js", tmp_path, CV_ROUTE=route, **common, **load)
        assert_clean_run(result, [route], http=route.startswith("rest_"))


def test_k6_fails_when_the_system_answers_with_errors(load_stack: Stack, tmp_path: Path) -> None:
    """Users whose token the services refuse: every request gets 401 and k6 exits non-zero
    (99: thresholds crossed), for REST and for gRPC."""
    bogus = tmp_path / "bogus.json"
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    jobs = ["jobs/" + "0" * 32]
    bogus.write_text(
        json.dumps(
            [{"email": "x@example.com", "password": "x", "accessToken": token, "jobs": jobs}]
        )
    )
    for route in ("rest_get", "grpc_get"):
        code, metrics, output = k6(
            load_stack,
            "routes.js",
            tmp_path,
            CV_SESSION=str(bogus),
            CV_ROUTE=route,
            CV_VUS="1",
            CV_DURATION="1s",
        )
        assert code == 99, output[-2000:]
        assert metrics["checks"]["fails"] > 0
