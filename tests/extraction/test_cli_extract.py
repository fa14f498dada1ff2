"""`careervault extract FILE`: the outline of a resume, as an internal tool prints it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from careervault_cli.main import cli
from gateway.stack import Stack
from tests.extraction.test_extraction import two_column_pdf
from tests.support.clients import PASSWORD, User

pytestmark = pytest.mark.integration


def _run(stack: Stack, config: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--identity",
            stack.grpc_target("identity"),
            "--jobs",
            stack.grpc_target("jobs"),
            "--extraction",
            stack.grpc_target("extraction"),
            *args,
        ],
        env={"CAREERVAULT_CONFIG_DIR": str(config)},
    )
    return result.exit_code, result.output


def test_extract_prints_the_outline_and_json(stack: Stack, alice: User, tmp_path: Path) -> None:
    config = tmp_path / "config"
    code, out = _run(stack, config, "login", "--email", alice.email, "--password", PASSWORD)
    assert code == 0, out
    resume = tmp_path / "jane.pdf"
    resume.write_bytes(two_column_pdf())

    code, out = _run(stack, config, "extract", str(resume))
    assert code == 0, out
    assert out.startswith("application/pdf, 1 page(s): p1 text layer")
    assert "email: jane.doe@example.com" in out
    assert "[EXPERIENCE]" in out and "[EDUCATION]" in out and "[SKILLS]" in out

    code, out = _run(stack, config, "--json", "extract", str(resume))
    assert code == 0, out
    assert json.loads(out)["contact"]["name"] == "Jane Doe"


def test_extract_refusals_are_clear(stack: Stack, alice: User, tmp_path: Path) -> None:
    config = tmp_path / "config"
    assert _run(stack, config, "login", "--email", alice.email, "--password", PASSWORD)[0] == 0
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"\x00\x01garbage" * 50)
    code, out = _run(stack, config, "extract", str(junk))
    assert code == 1 and "INVALID_ARGUMENT" in out, out
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (10 * 1024 * 1024 + 1))
    code, out = _run(stack, config, "extract", str(big))
    assert code == 1 and "larger than 10 MB" in out, out
