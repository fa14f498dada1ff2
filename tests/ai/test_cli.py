"""`careervault analyze | interview | cover-letter | chat` against the real services.

On the session's stack (tests/conftest.py); the CLI runs in-process and speaks gRPC straight
to the services, as users run it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pymupdf as _pymupdf
import pytest
from click.testing import CliRunner, Result

from careervault_cli.main import cli
from gateway.stack import Stack

pytestmark = pytest.mark.integration
pymupdf: Any = _pymupdf  # untyped

PASSWORD = "Corr3ct-Horse!"

JOB_TEXT = """Senior Backend Engineer

What you'll do:
- Design and build the APIs that schedule launches for our customers
- Own the reliability of services running on Kubernetes in AWS
- Mentor junior engineers and review their code

Requirements:
- 5+ years of professional software engineering experience
- Strong Python skills
- Experience with PostgreSQL
- Experience running services on Kubernetes
- Hands-on experience with AWS
- Excellent communication skills

Nice to have:
- Terraform
"""

RESUME_TEXT = """Jane Doe
jane.doe@example.com

Summary
Backend engineer with 6 years of experience building reliable Python services.

Experience
Senior Software Engineer, Orbital Freight (2021 - present)
- Built a Python billing API on PostgreSQL that processes 2 million invoices a month
- Cut p95 latency of the quoting service by 40% by rewriting slow PostgreSQL queries
- Migrated 12 services to AWS with Docker, saving $180k a year in hosting
- Mentored three junior engineers through their first production launches

Software Engineer, Parcelly (2018 - 2021)
- Developed Python data pipelines that ingest 50 GB of shipment events a day

Skills
Python, PostgreSQL, AWS, Docker

Education
BSc Computer Science, University of Leeds, 2018
"""


class Cli:
    def __init__(self, stack: Stack, config_dir: Path) -> None:
        self.env = {
            "CAREERVAULT_CONFIG_DIR": str(config_dir),
            "CAREERVAULT_IDENTITY_ADDR": stack.grpc_target("identity"),
            "CAREERVAULT_JOBS_ADDR": stack.grpc_target("jobs"),
            "CAREERVAULT_EXTRACTION_ADDR": stack.grpc_target("extraction"),
            "CAREERVAULT_AI_ADDR": stack.grpc_target("ai"),
        }
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env, input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.output, result.exception)
        return result


@pytest.fixture
def run(stack: Stack, tmp_path: Path) -> Cli:
    """A signed-in user of their own (a fresh account: no applications yet)."""
    c = Cli(stack, tmp_path / "config")
    email = f"ai-cli-{uuid.uuid4().hex[:10]}@example.com"
    c.ok("signup", "--email", email, "--password", PASSWORD, "--display-name", "Jane Doe")
    c.ok("login", "--email", email, "--password", PASSWORD)
    return c


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    resume = tmp_path / "resume.txt"
    resume.write_text(RESUME_TEXT)
    job = tmp_path / "job.txt"
    job.write_text(JOB_TEXT)
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(54, 54, 560, 780), RESUME_TEXT, fontsize=10)
    pdf = tmp_path / "resume.pdf"
    pdf.write_bytes(doc.tobytes())
    return {"resume": resume, "job": job, "pdf": pdf}


def _add_job(run: Cli) -> str:
    added = run.ok(
        "jobs",
        "add",
        "--company",
        "Acme Rockets",
        "--position",
        "Senior Backend Engineer",
        "--description",
        JOB_TEXT,
    )
    name = added.stdout.strip()
    assert name.startswith("jobs/")
    return name


def test_analyze_prints_score_breakdown_evidence_and_provider(
    run: Cli, files: dict[str, Path]
) -> None:
    out = run.ok("analyze", str(files["resume"]), "--job", str(files["job"])).stdout
    assert out.startswith("Match score: ")
    score = int(out.split("Match score: ", 1)[1].split("/", 1)[0])
    assert 0 < score < 100
    assert "Score breakdown" in out and "WEIGHT" in out
    assert "Matched skills:\n  + " in out and "\n  + Python (required)\n" in out
    assert "resume: \u201cBuilt a Python billing API" in out
    assert "Missing skills:" in out and "  - Kubernetes (required)" in out
    assert "job: \u201cOwn the reliability of services running on Kubernetes in AWS\u201d" in out
    assert "Suggestions:\n   1. " in out
    assert "provider: local" in out

    data = json.loads(
        run.ok("--json", "analyze", str(files["resume"]), "--job", str(files["job"])).stdout
    )
    assert data["matchScore"] == score
    assert data["provider"]["name"] == "local"
    assert {"Python", "PostgreSQL"} <= {m["skill"] for m in data["matchedSkills"]}
    assert "Kubernetes" in {m["skill"] for m in data["missingSkills"]}


def test_analyze_a_pdf_against_a_saved_job_and_save(run: Cli, files: dict[str, Path]) -> None:
    name = _add_job(run)
    result = run.ok("analyze", str(files["pdf"]), "--job", name, "--save")
    assert "saved on " + name in result.stderr
    assert "+ Python (required)" in result.stdout
    saved = json.loads(run.ok("--json", "jobs", "show", name).stdout)
    score = int(result.stdout.split("Match score: ", 1)[1].split("/", 1)[0])
    assert saved["analysis"]["matchScore"] == score
    # a bare id works too
    run.ok("analyze", str(files["resume"]), "--job", name.removeprefix("jobs/"))


def test_analyze_refusals(run: Cli, files: dict[str, Path], tmp_path: Path) -> None:
    save_file = run("analyze", str(files["resume"]), "--job", str(files["job"]), "--save")
    assert save_file.exit_code == 1 and "--save needs a saved job" in save_file.output
    missing = run("analyze", str(files["resume"]), "--job", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "neither a file" in missing.output
    unknown = run("analyze", str(files["resume"]), "--job", "jobs/" + "0" * 32)
    assert unknown.exit_code == 1 and "NOT_FOUND" in unknown.output
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert "is empty" in run("analyze", str(empty), "--job", str(files["job"])).output
    down = run("--ai", "127.0.0.1:1", "analyze", str(files["resume"]), "--job", str(files["job"]))
    assert down.exit_code == 1 and "UNAVAILABLE" in down.output


def test_analyze_needs_login(stack: Stack, tmp_path: Path, files: dict[str, Path]) -> None:
    result = Cli(stack, tmp_path / "nobody")(
        "analyze", str(files["resume"]), "--job", str(files["job"])
    )
    assert result.exit_code == 1 and "not logged in" in result.output


def test_interview_with_a_resume(run: Cli, files: dict[str, Path]) -> None:
    out = run.ok(
        "interview", "--job", str(files["job"]), "--resume", str(files["pdf"]), "--count", "8"
    ).stdout
    numbers = [line.split(".", 1)[0].strip() for line in out.splitlines() if ". [" in line[:8]]
    assert numbers == [str(n) for n in range(1, 9)]
    for category in ("[technical]", "[behavioral]", "[gap]"):
        assert category in out
    assert "What is your experience with Kubernetes?" in out
    assert "    - Situation: the context behind \u201c" in out
    assert "why: " in out and "provider: local" in out

    data = json.loads(run.ok("--json", "interview", "--job", str(files["job"])).stdout)
    assert len(data["questions"]) == 10
    assert data["provider"]["name"] == "local"
    assert run("interview", "--job", str(files["job"]), "--count", "31").exit_code == 2


def test_cover_letter(run: Cli, files: dict[str, Path]) -> None:
    name = _add_job(run)
    result = run.ok("cover-letter", str(files["resume"]), "--job", name, "--tone", "friendly")
    text = result.stdout
    assert text.startswith("Hello Acme Rockets team,")
    assert "Senior Backend Engineer" in text and "Jane Doe" in text
    assert "Kubernetes" not in text and "Terraform" not in text
    assert "template draft from CareerVault's local provider" in text
    formal = run.ok("cover-letter", str(files["resume"]), "--job", name).stdout
    assert formal.startswith("Dear Hiring Team at Acme Rockets,")
    assert run("cover-letter", str(files["resume"]), "--job", name, "--tone", "rude").exit_code == 2


def test_chat_one_question_streams_and_is_grounded(run: Cli) -> None:
    _add_job(run)
    out = run.ok("chat", "-m", "How is my job search going?").stdout
    assert out.startswith("I'm CareerVault's local assistant")
    assert "no external AI" in out
    assert "You are tracking 1 application." in out

    lines = run.ok("--json", "chat", "-m", "How is my job search going?").stdout.splitlines()
    messages = [json.loads(line) for line in lines]
    assert len(messages) > 3, "the answer streams in pieces"
    assert messages[0]["provider"]["name"] == "local"
    assert messages[-1].get("done") is True
    text = "".join(m.get("delta", "") for m in messages)
    assert text == out.rstrip("\n")


def test_chat_conversation_and_job(run: Cli) -> None:
    name = _add_job(run)
    out = run.ok(
        "chat", input="hello\nwhat should I do about Acme Rockets?\n\nexit\nnot sent\n"
    ).stdout
    assert out.count("I'm CareerVault's local assistant") == 1, "introduced once"
    assert "Acme Rockets, Senior Backend Engineer: applied" in out
    about = run.ok("chat", "--job", name, "-m", "help me prepare for the interview").stdout
    assert "Likely questions for Senior Backend Engineer at Acme Rockets:" in about
    assert run("chat", "-m", "   ").exit_code == 1
