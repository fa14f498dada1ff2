"""The `careervault` command: click commands over the typed gRPC stubs.

It talks gRPC directly to the services (identity, jobs); it does not go through Envoy.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import grpc
from google.api import httpbody_pb2
from google.protobuf import field_mask_pb2, json_format
from google.type import date_pb2

from careervault.ai.v1 import ai_pb2
from careervault.extraction.v1 import extraction_pb2
from careervault.identity.v1 import identity_pb2
from careervault.jobs.v1 import jobs_pb2
from careervault_cli import ai_output, output
from careervault_cli import backup as local_backup
from careervault_cli.client import (
    CliError,
    Credentials,
    Metadata,
    Session,
    Settings,
    credentials_from,
    delete_credentials,
    load_credentials,
    save_credentials,
)
from careervault_cli.files import write_atomic

F = TypeVar("F", bound=Callable[..., Any])
Job = jobs_pb2.JobApplication
USER_ME = "users/me"
_JOB_ID = re.compile(r"[A-Za-z0-9_.~-]{1,128}")


# Parameter types ---------------------------------------------------------------------------

if TYPE_CHECKING:  # click >= 8.4 types ParamType generically; older releases are not generic
    _IntParam = click.ParamType[int, Any]
    _StrParam = click.ParamType[str, Any]
else:
    _IntParam = _StrParam = click.ParamType


class EnumName(_IntParam):
    """A protobuf enum value by name: case-insensitive, `-` or `_`, *_UNSPECIFIED refused."""

    def __init__(self, enum: Any, label: str) -> None:
        self.enum = enum
        self.name = label
        self.choices = [
            v.name for v in enum.DESCRIPTOR.values if not v.name.endswith("UNSPECIFIED")
        ]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        key = str(value).strip().upper().replace("-", "_").replace(" ", "_")
        if key not in self.choices:
            self.fail(f"{value!r} is not one of {', '.join(self.choices)}", param, ctx)
        number: int = self.enum.Value(key)
        return number


class JobName(_StrParam):
    """`jobs/<id>` or a bare id, normalised to `jobs/<id>`."""

    name = "job"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        job_id = str(value).strip().removeprefix(output.JOB_PREFIX)
        if not _JOB_ID.fullmatch(job_id):
            self.fail(f"{value!r} is not a job name (`jobs/<id>` or `<id>`)", param, ctx)
        return output.JOB_PREFIX + job_id


STATUS = EnumName(Job.Status, "status")
WORK_MODE = EnumName(Job.WorkMode, "work_mode")
PERIOD = EnumName(jobs_pb2.SalaryRange.Period, "period")
JOB = JobName()


# Plumbing ----------------------------------------------------------------------------------


class App:
    """What every command gets: the session, and whether to print JSON."""

    def __init__(self, session: Session, as_json: bool) -> None:
        self.session = session
        self.as_json = as_json


pass_app = click.make_pass_decorator(App)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    app = ctx.find_object(App)
    if value and app is not None:
        app.as_json = True


def json_option(f: F) -> F:
    """`--json` after the subcommand too (`careervault jobs list --json`)."""
    decorate = click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_json,
        help="Print protobuf JSON instead of tables.",
    )
    return decorate(f)


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise click.exceptions.Exit(1)


class RootGroup(click.Group):
    """Turns gRPC and CLI errors from any subcommand into `error: ...` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except grpc.RpcError as err:
            _fail(output.rpc_error(err))
        except CliError as err:
            _fail([f"error: {err.message}"] + ([f"hint: {err.hint}"] if err.hint else []))


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--identity",
    "identity_addr",
    envvar="CAREERVAULT_IDENTITY_ADDR",
    default="127.0.0.1:50051",
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    help="Identity service (gRPC).",
)
@click.option(
    "--jobs",
    "jobs_addr",
    envvar="CAREERVAULT_JOBS_ADDR",
    default="127.0.0.1:50052",
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    help="Jobs service (gRPC).",
)
@click.option(
    "--extraction",
    "extraction_addr",
    envvar="CAREERVAULT_EXTRACTION_ADDR",
    default="127.0.0.1:50053",
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    help="Extraction service (gRPC).",
)
@click.option(
    "--ai",
    "ai_addr",
    envvar="CAREERVAULT_AI_ADDR",
    default="127.0.0.1:50054",
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    help="AI service (gRPC).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Deadline for every call.",
)
@click.option("--json", "as_json", is_flag=True, help="Print protobuf JSON instead of tables.")
@click.pass_context
def cli(
    ctx: click.Context,
    identity_addr: str,
    jobs_addr: str,
    extraction_addr: str,
    ai_addr: str,
    timeout: float,
    as_json: bool,
) -> None:
    """CareerVault from the command line, over gRPC straight to the services.

    Sign in with `careervault login`; credentials are kept in the user config directory
    (or $CAREERVAULT_CONFIG_DIR) with mode 0600.
    """
    session = Session(Settings(identity_addr, jobs_addr, timeout, extraction_addr, ai_addr))
    ctx.call_on_close(session.close)
    ctx.obj = App(session, as_json)


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, indent=2))


# Account -----------------------------------------------------------------------------------


@cli.command()
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters with upper and lower case, a digit and a symbol.",
)
@click.option("--display-name", prompt="Display name", default="", help="The name shown.")
@json_option
@pass_app
def signup(app: App, email: str, password: str, display_name: str) -> None:
    """Create an account."""
    response = app.session.identity.SignUp(
        identity_pb2.SignUpRequest(email=email, password=password, display_name=display_name),
        timeout=app.session.timeout,
    )
    if app.as_json:
        click.echo(output.to_json(response))
    else:
        click.echo(f"created {response.user.name} ({response.user.email})")
    if response.confirmation_required:
        click.echo(
            "a confirmation code was sent; run `careervault confirm --email EMAIL --code CODE`",
            err=True,
        )


@cli.command()
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--code", prompt=True, help="The code sent at sign-up.")
@json_option
@pass_app
def confirm(app: App, email: str, code: str) -> None:
    """Confirm an account with the code sent at sign-up."""
    app.session.identity.ConfirmSignUp(
        identity_pb2.ConfirmSignUpRequest(email=email, code=code), timeout=app.session.timeout
    )
    click.echo(f"confirmed {email}")


@cli.command()
@click.option("--email", prompt=True, help="Sign-in email.")
@click.option("--password", prompt=True, hide_input=True, help="Password (prompted if missing).")
@click.option("--code", default=None, help="MFA code, if the account has MFA (prompted if needed).")
@json_option
@pass_app
def login(app: App, email: str, password: str, code: str | None) -> None:
    """Sign in and store the tokens."""
    identity = app.session.identity
    timeout = app.session.timeout
    response = identity.SignIn(
        identity_pb2.SignInRequest(email=email, password=password), timeout=timeout
    )
    if response.WhichOneof("result") == "challenge":
        answer = code or click.prompt("MFA code", err=True)
        response = identity.RespondToChallenge(
            identity_pb2.RespondToChallengeRequest(session=response.challenge.session, code=answer),
            timeout=timeout,
        )
    if response.WhichOneof("result") != "tokens":
        raise CliError("sign-in did not return tokens")
    creds = credentials_from(response.tokens, email.strip().lower())
    path = save_credentials(creds)
    if app.as_json:
        _echo_json({"email": creds.email, "expiresIn": response.tokens.expires_in})
    else:
        click.echo(f"logged in as {creds.email} (credentials in {path})")


@cli.command()
@json_option
@pass_app
def logout(app: App) -> None:
    """Revoke the refresh tokens and forget the stored credentials."""
    creds: Credentials | None = load_credentials()
    if creds is None:
        click.echo("not logged in")
        return
    problem: grpc.RpcError | None = None
    try:
        app.session.call(
            lambda md: app.session.identity.SignOut(
                identity_pb2.SignOutRequest(), timeout=app.session.timeout, metadata=md
            )
        )
    except grpc.RpcError as err:
        # UNAUTHENTICATED: the tokens are dead already, which is what logout wants.
        if err.code() != grpc.StatusCode.UNAUTHENTICATED:
            problem = err
    delete_credentials()
    if problem is not None:
        click.echo("removed local credentials, but could not revoke them on the server:", err=True)
        _fail(output.rpc_error(problem))
    click.echo(f"logged out {creds.email}".rstrip())


@cli.command()
@json_option
@pass_app
def whoami(app: App) -> None:
    """Show the signed-in user."""
    user = app.session.call(
        lambda md: app.session.identity.GetUser(
            identity_pb2.GetUserRequest(name=USER_ME), timeout=app.session.timeout, metadata=md
        )
    )
    click.echo(output.to_json(user) if app.as_json else output.user_detail(user))


@cli.group()
def mfa() -> None:
    """Two-step sign-in with an authenticator app (TOTP).

    `mfa setup` prints a secret for the app, `mfa enable CODE` turns MFA on with a code the
    app shows; from then on `careervault login` asks for a code (or takes `--code`).
    """


@mfa.command("setup")
@json_option
@pass_app
def mfa_setup(app: App) -> None:
    """Start setting up MFA: print the secret and its otpauth:// URI."""
    reply = app.session.call(
        lambda md: app.session.identity.SetupMfa(
            identity_pb2.SetupMfaRequest(name=USER_ME), timeout=app.session.timeout, metadata=md
        )
    )
    if app.as_json:
        click.echo(output.to_json(reply))
        return
    click.echo(output.fields([("secret", reply.secret), ("uri", reply.otpauth_uri)]))
    click.echo(
        "add the secret to your authenticator app (or show the URI as a QR code), then run "
        "`careervault mfa enable CODE` with the code it shows",
        err=True,
    )


def _mfa_change(app: App, code: str, enable: bool) -> None:
    session = app.session
    if enable:
        user = session.call(
            lambda md: session.identity.VerifyMfa(
                identity_pb2.VerifyMfaRequest(name=USER_ME, code=code),
                timeout=session.timeout,
                metadata=md,
            )
        )
    else:
        user = session.call(
            lambda md: session.identity.DisableMfa(
                identity_pb2.DisableMfaRequest(name=USER_ME, code=code),
                timeout=session.timeout,
                metadata=md,
            )
        )
    if app.as_json:
        click.echo(output.to_json(user))
    elif user.mfa_enabled:
        click.echo(f"MFA is on for {user.email}: sign-in now asks for a code")
    else:
        click.echo(f"MFA is off for {user.email}")


@mfa.command("enable")
@click.argument("code")
@json_option
@pass_app
def mfa_enable(app: App, code: str) -> None:
    """Turn MFA on with a CODE from the authenticator app (after `mfa setup`)."""
    _mfa_change(app, code, enable=True)


@mfa.command("disable")
@click.argument("code")
@json_option
@pass_app
def mfa_disable(app: App, code: str) -> None:
    """Turn MFA off; needs a current CODE from the authenticator app."""
    _mfa_change(app, code, enable=False)


# Local outbox ------------------------------------------------------------------------------

OUTBOX_FILE = Path("identity") / "outbox.jsonl"


def _read_outbox(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror or err}") from None
    found: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            click.echo(f"warning: {path}:{number} is not JSON; skipped", err=True)
            continue
        if isinstance(data, dict):
            found.append({str(k): str(v) for k, v in data.items()})
    return found


@cli.command()
@click.option(
    "--data-dir",
    envvar="CAREERVAULT_DATA_DIR",
    show_envvar=True,
    default="./var",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The identity service's data directory (its CAREERVAULT_DATA_DIR).",
)
@click.option("--email", default=None, help="Only messages to this address.")
@json_option
@pass_app
def outbox(app: App, data_dir: Path, email: str | None) -> None:
    """Show the local outbox: the messages (confirmation and password-reset codes) that the
    local identity service sends instead of email. Oldest first.

    It is `<data dir>/identity/outbox.jsonl`, readable by the service's user only.
    """
    path = data_dir / OUTBOX_FILE
    found = _read_outbox(path)
    if email is not None:
        wanted = email.strip().lower()
        found = [m for m in found if m.get("to", "").lower() == wanted]
    if app.as_json:
        _echo_json({"messages": found})
        return
    if not found:
        where = f"{path}" if path.exists() else f"{path} (no such file)"
        click.echo(f"no messages{f' to {email}' if email else ''} in {where}", err=True)
        return
    rows = [
        [m.get("time", ""), m.get("to", ""), m.get("kind", ""), m.get("code") or "-"] for m in found
    ]
    click.echo(output.table(["TIME", "TO", "KIND", "CODE"], rows))


# Jobs --------------------------------------------------------------------------------------


@cli.group()
def jobs() -> None:
    """Job applications."""


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@jobs.command("list")
@click.option("--status", type=STATUS, help="Only this status.")
@click.option("--company", help="Company contains this text (case-insensitive).")
@click.option(
    "--filter",
    "filter_expr",
    default="",
    metavar="EXPR",
    help='AIP-160 subset, e.g. `tags : "remote" AND work_mode = REMOTE`.',
)
@click.option(
    "--order-by",
    default="",
    metavar="FIELDS",
    help="e.g. `applied_date desc, company`. Default: newest first.",
)
@click.option("--page-size", type=click.IntRange(1, 200), default=None, help="At most 200.")
@click.option("--page-token", default="", help="From a previous page.")
@click.option("--all", "all_pages", is_flag=True, help="Follow next_page_token to the end.")
@json_option
@pass_app
def list_jobs(
    app: App,
    status: int | None,
    company: str | None,
    filter_expr: str,
    order_by: str,
    page_size: int | None,
    page_token: str,
    all_pages: bool,
) -> None:
    """List applications."""
    terms = [filter_expr.strip()] if filter_expr.strip() else []
    if status is not None:
        terms.append(f"status = {output.status_name(status)}")
    if company:
        terms.append(f"company : {_quote(company)}")
    request = jobs_pb2.ListJobsRequest(
        filter=" AND ".join(terms), order_by=order_by, page_size=page_size or 0
    )
    result = jobs_pb2.ListJobsResponse()
    token = page_token
    while True:
        request.page_token = token
        page = app.session.call(
            lambda md: app.session.jobs.ListJobs(request, timeout=app.session.timeout, metadata=md)
        )
        result.jobs.extend(page.jobs)
        result.total_size = page.total_size
        token = page.next_page_token
        if not (all_pages and token):
            break
    result.next_page_token = token
    if app.as_json:
        click.echo(output.to_json(result))
        return
    click.echo(output.jobs_table(result.jobs))
    footer = f"{len(result.jobs)} of {result.total_size}"
    if token:
        footer += f"; more with --all or --page-token {token}"
    click.echo(footer, err=True)


def _date(value: datetime | None) -> date_pb2.Date | None:
    return (
        None if value is None else date_pb2.Date(year=value.year, month=value.month, day=value.day)
    )


@jobs.command("add")
@click.option("--company", required=True)
@click.option("--position", required=True)
@click.option("--status", type=STATUS, default=None, help="Default APPLIED.")
@click.option("--location", default="")
@click.option("--work-mode", type=WORK_MODE, default=None)
@click.option("--url", "job_url", default="", help="The posting, http(s).")
@click.option("--source", default="", help="LinkedIn, referral, ...")
@click.option(
    "--applied-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD"
)
@click.option("--salary-min", type=click.FloatRange(min=0), default=None)
@click.option("--salary-max", type=click.FloatRange(min=0), default=None)
@click.option("--currency", default="", metavar="ISO4217", help="e.g. USD.")
@click.option("--period", type=PERIOD, default=None, help="e.g. YEARLY.")
@click.option("--tag", "tags", multiple=True, help="Repeat for several.")
@click.option("--notes", default="")
@click.option("--description", "job_description", default="", help="The posting's text.")
@click.option(
    "--request-id",
    default=None,
    metavar="UUID",
    help="Idempotency key; pass the same one to retry an add safely. Default: a new uuid4.",
)
@json_option
@pass_app
def add_job(
    app: App,
    company: str,
    position: str,
    status: int | None,
    location: str,
    work_mode: int | None,
    job_url: str,
    source: str,
    applied_date: datetime | None,
    salary_min: float | None,
    salary_max: float | None,
    currency: str,
    period: int | None,
    tags: tuple[str, ...],
    notes: str,
    job_description: str,
    request_id: str | None,
) -> None:
    """Record a new application; prints its name.

    The call carries a request id (a new uuid4, or --request-id), so a retried call is not
    recorded twice.
    """
    job = Job(
        company=company,
        position=position,
        location=location,
        job_url=job_url,
        source=source,
        tags=list(tags),
        notes=notes,
        job_description=job_description,
    )
    if status is not None:
        job.status = Job.Status.ValueType(status)
    if work_mode is not None:
        job.work_mode = Job.WorkMode.ValueType(work_mode)
    date = _date(applied_date)
    if date is not None:
        job.applied_date.CopyFrom(date)
    if any(v is not None for v in (salary_min, salary_max, period)) or currency:
        low = salary_min if salary_min is not None else 0.0
        job.salary.CopyFrom(
            jobs_pb2.SalaryRange(
                min=low,
                max=salary_max if salary_max is not None else low,
                currency=currency.strip().upper(),
                period=jobs_pb2.SalaryRange.Period.ValueType(period or 0),
            )
        )
    request = jobs_pb2.CreateJobRequest(job=job, request_id=request_id or str(uuid.uuid4()))
    created = app.session.call(
        lambda md: app.session.jobs.CreateJob(request, timeout=app.session.timeout, metadata=md)
    )
    click.echo(output.to_json(created) if app.as_json else created.name)


def _get(app: App, name: str) -> jobs_pb2.JobApplication:
    return app.session.call(
        lambda md: app.session.jobs.GetJob(
            jobs_pb2.GetJobRequest(name=name), timeout=app.session.timeout, metadata=md
        )
    )


@jobs.command("show")
@click.argument("job", type=JOB)
@json_option
@pass_app
def show_job(app: App, job: str) -> None:
    """Show one application and its status history."""
    found = _get(app, job)
    click.echo(output.to_json(found) if app.as_json else output.job_detail(found))


@jobs.command("move")
@click.argument("job", type=JOB)
@click.argument("status", type=STATUS)
@json_option
@pass_app
def move_job(app: App, job: str, status: int) -> None:
    """Move an application to STATUS and print its status history.

    STATUS is one of SAVED, APPLIED, PHONE_SCREEN, TECHNICAL_INTERVIEW, FINAL_INTERVIEW,
    OFFER, ACCEPTED, REJECTED, WITHDRAWN, in any case, with `-` or `_`.
    """
    current = _get(app, job)
    update = jobs_pb2.UpdateJobRequest(
        job=Job(name=current.name, status=Job.Status.ValueType(status), etag=current.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["status"]),
    )
    moved = app.session.call(
        lambda md: app.session.jobs.UpdateJob(update, timeout=app.session.timeout, metadata=md)
    )
    if app.as_json:
        click.echo(output.to_json(moved))
        return
    before, after = output.status_name(current.status), output.status_name(moved.status)
    click.echo(f"{moved.name}: {before} -> {after}\n")
    click.echo(output.history(moved))


@jobs.command("delete")
@click.argument("job", type=JOB)
@click.option("--etag", default="", help="Only if the job still has this etag.")
@json_option
@pass_app
def delete_job(app: App, job: str, etag: str) -> None:
    """Delete an application."""
    app.session.call(
        lambda md: app.session.jobs.DeleteJob(
            jobs_pb2.DeleteJobRequest(name=job, etag=etag),
            timeout=app.session.timeout,
            metadata=md,
        )
    )
    if app.as_json:
        _echo_json({"name": job, "deleted": True})
    else:
        click.echo(f"deleted {job}")


@jobs.command("stats")
@click.option(
    "--stale-days",
    type=click.IntRange(1, 365),
    default=14,
    show_default=True,
    help="Open applications unchanged this long count as stale.",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 104),
    default=12,
    show_default=True,
    help="Weeks in the applications-per-week chart, ending with this one.",
)
@json_option
@pass_app
def job_stats(app: App, stale_days: int, weeks: int) -> None:
    """Where the search stands: counts, rates, funnel, response time, weekly activity,
    sources and stale applications."""
    request = jobs_pb2.GetJobStatsRequest(stale_days=stale_days, weeks=weeks)
    result = app.session.call(
        lambda md: app.session.jobs.GetJobStats(request, timeout=app.session.timeout, metadata=md)
    )
    click.echo(output.to_json(result) if app.as_json else output.stats(result, stale_days))


# Import and export -------------------------------------------------------------------------

IMPORT_MAX_BYTES = 5 * 1024 * 1024  # the service's default CAREERVAULT_IMPORT_MAX_BYTES
CONTENT_TYPES = {"csv": "text/csv", "json": "application/json"}
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".json": "json"}
FORMAT = click.Choice(["csv", "json"], case_sensitive=False)


def _read_import(path: str) -> bytes:
    """The file's bytes (stdin for `-`), refused over IMPORT_MAX_BYTES before it is sent."""
    where = "standard input" if path == "-" else path
    too_big = CliError(
        f"{where} is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB, the import limit",
        hint="split it into smaller files",
    )
    if path == "-":
        data = sys.stdin.buffer.read(IMPORT_MAX_BYTES + 1)
    else:
        try:
            with open(path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size > IMPORT_MAX_BYTES:
                    raise too_big
                data = fh.read(IMPORT_MAX_BYTES + 1)  # it may have grown meanwhile
        except OSError as err:
            raise CliError(f"cannot read {path}: {err.strerror or err}") from None
    if len(data) > IMPORT_MAX_BYTES:
        raise too_big
    if not data.strip():
        raise CliError(f"{where} is empty: nothing to import")
    return data


def _import_format(path: str, data: bytes) -> str:
    """From the extension; failing that, JSON when the text starts with `[` or `{`."""
    known = _EXTENSIONS.get(Path(path).suffix.lower()) if path != "-" else None
    if known:
        return known
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return "json" if head in (b"[", b"{") else "csv"


@jobs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    default=None,
    help="Default: from the extension (.csv, .json); else JSON if it starts with [ or {.",
)
@json_option
@pass_app
def import_jobs(app: App, file: str, fmt: str | None) -> None:
    """Import applications from a CSV (with a header row) or JSON file; `-` reads stdin.

    Rows imported before are skipped as duplicates, so importing a file twice adds nothing.
    Refused rows are listed on stderr and make the exit status 1; the other rows are imported.
    """
    data = _read_import(file)
    kind = (fmt or _import_format(file, data)).lower()
    request = jobs_pb2.ImportJobsRequest(
        content=httpbody_pb2.HttpBody(content_type=CONTENT_TYPES[kind], data=data)
    )
    result = app.session.call(
        lambda md: app.session.jobs.ImportJobs(request, timeout=app.session.timeout, metadata=md)
    )
    if app.as_json:
        click.echo(output.to_json(result))
    else:
        click.echo(f"imported {result.imported_count}, skipped {result.duplicate_count} duplicates")
        if result.errors:
            rows = len(result.errors)
            click.echo(f"refused {rows} row{'s' if rows != 1 else ''}:", err=True)
            for line in output.import_errors(result, is_json=kind == "json"):
                click.echo(line, err=True)
    if result.errors:
        raise click.exceptions.Exit(1)


@jobs.command("export")
@click.option(
    "--format",
    "fmt",
    type=FORMAT,
    default=None,
    help="Default: json for a .json --output, else csv.",
)
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    help="Write to this file (atomically, mode 0600) instead of stdout.",
)
@pass_app
def export_jobs(app: App, fmt: str | None, output_path: Path | None) -> None:
    """Export every application as CSV or JSON (all fields; re-importable)."""
    to_stdout = output_path is None or str(output_path) == "-"
    if fmt is None:
        fmt = "json" if not to_stdout and str(output_path).lower().endswith(".json") else "csv"
    request = jobs_pb2.ExportJobsRequest(format=fmt.lower())
    body = app.session.call(
        lambda md: app.session.jobs.ExportJobs(request, timeout=app.session.timeout, metadata=md)
    )
    if output_path is None or to_stdout:
        click.echo(body.data, nl=False)
        return
    try:
        write_atomic(output_path, body.data)
    except OSError as err:
        raise CliError(f"cannot write {output_path}: {err.strerror or err}") from None
    click.echo(f"exported {len(body.data):,} bytes of {fmt.upper()} to {output_path}", err=True)


# Calendar feed -----------------------------------------------------------------------------


def _gateway_url(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise click.BadParameter(f"{value!r} is not an http(s) URL", param=param)
    return value.rstrip("/")


def gateway_option(f: F) -> F:
    decorate = click.option(
        "--gateway-url",
        envvar="CAREERVAULT_GATEWAY_URL",
        show_envvar=True,
        default="http://localhost:8080",
        show_default=True,
        callback=_gateway_url,
        help="Where calendar apps reach the gateway; the feed is served there.",
    )
    return decorate(f)


def _show_feed(app: App, feed: jobs_pb2.CalendarFeed, gateway_url: str) -> None:
    url = gateway_url + "/" + feed.path.lstrip("/")
    if app.as_json:
        _echo_json({"url": url, **json_format.MessageToDict(feed)})
    else:
        click.echo(url)


@cli.group()
def calendar() -> None:
    """Your private calendar feed (interviews and next actions), for calendar apps.

    Anyone who has the URL can read the feed: rotate it if it leaked.
    """


@calendar.command("show")
@gateway_option
@json_option
@pass_app
def calendar_show(app: App, gateway_url: str) -> None:
    """Print the feed's subscribe URL (made on first use)."""
    feed = app.session.call(
        lambda md: app.session.jobs.GetCalendarFeed(
            jobs_pb2.GetCalendarFeedRequest(), timeout=app.session.timeout, metadata=md
        )
    )
    _show_feed(app, feed, gateway_url)


@calendar.command("rotate")
@gateway_option
@json_option
@pass_app
def calendar_rotate(app: App, gateway_url: str) -> None:
    """Replace the feed's URL; the old one stops working at once."""
    feed = app.session.call(
        lambda md: app.session.jobs.RotateCalendarFeed(
            jobs_pb2.RotateCalendarFeedRequest(), timeout=app.session.timeout, metadata=md
        )
    )
    _show_feed(app, feed, gateway_url)
    if not app.as_json:
        click.echo("the previous URL no longer works; update your calendar apps", err=True)


@calendar.command("revoke")
@json_option
@pass_app
def calendar_revoke(app: App) -> None:
    """Revoke the feed; `calendar show` makes a new URL."""
    app.session.call(
        lambda md: app.session.jobs.DeleteCalendarFeed(
            jobs_pb2.DeleteCalendarFeedRequest(), timeout=app.session.timeout, metadata=md
        )
    )
    if app.as_json:
        _echo_json({"revoked": True})
    else:
        click.echo("calendar feed revoked: its URL no longer works")


# Local backup and restore ------------------------------------------------------------------


def data_dir_option(f: F) -> F:
    decorate = click.option(
        "--data-dir",
        required=True,
        envvar="CAREERVAULT_DATA_DIR",
        show_envvar=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="The services' data directory (their CAREERVAULT_DATA_DIR).",
    )
    return decorate(f)


@cli.command()
@data_dir_option
@click.option(
    "--output",
    "-o",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .tar.gz to write (atomically, mode 0600).",
)
@json_option
@pass_app
def backup(app: App, data_dir: Path, output_path: Path) -> None:
    """Back up the embedded (SQLite) stores and key files of a data dir into a .tar.gz.

    Consistent and safe while the services run (SQLite's online backup API). Not for the
    DynamoDB store: that relies on point-in-time recovery.
    """
    try:
        manifest = local_backup.create_backup(data_dir, output_path)
    except OSError as err:
        raise CliError(f"backup failed: {err}") from None
    if app.as_json:
        _echo_json(manifest.to_dict())
        return
    for entry in manifest.files:
        version = "" if entry.schema_version is None else f" (schema {entry.schema_version})"
        click.echo(f"  {entry.path}{version}, {entry.size:,} bytes")
    click.echo(f"backed up {len(manifest.files)} files to {output_path}")
    present = {entry.path for entry in manifest.files}
    for missing in sorted(set(local_backup.KEY_FILES) - present):
        click.echo(f"note: there is no {missing} to back up", err=True)


@cli.command()
@data_dir_option
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def restore(app: App, data_dir: Path, archive: Path) -> None:
    """Restore a backup made by `careervault backup` into a data dir.

    REPLACES the current data. Every check (manifest, checksums, schema versions) passes
    before anything is written; the databases are restored into the live files, so running
    services see the restored data.
    """
    try:
        done = local_backup.restore_backup(archive, data_dir)
    except OSError as err:
        raise CliError(f"restore failed: {err}") from None
    if app.as_json:
        _echo_json({"restored": [dataclasses.asdict(r) for r in done]})
        return
    restart: list[str] = []
    for r in done:
        if r.kind == "sqlite":
            note = f"schema {r.schema_version}"
            if not r.existed:
                note += ", new file"
            elif (r.previous_schema_version or 0) > (r.schema_version or 0):
                note += f", older than the {r.previous_schema_version} in place"
                restart.append(f"{r.path} needs its service restarted to migrate it")
        else:
            note = "new file" if not r.existed else ("changed" if r.changed else "unchanged")
            if r.existed and r.changed:
                restart.append(f"{r.path} changed: restart the services to use it")
        click.echo(f"restored {r.path} ({note})")
    for line in restart:
        click.echo(f"note: {line}", err=True)


if __name__ == "__main__":  # pragma: no cover
    cli()


# Documents ---------------------------------------------------------------------------------

EXTRACT_MAX_BYTES = 10 * 1024 * 1024


@cli.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    metavar="SECONDS",
    help="How long extraction (OCR of scans can take seconds a page) may take.",
)
@json_option
@pass_app
def extract(app: App, file: Path, deadline: float) -> None:
    """Read a resume (PDF, DOCX, image, text) into text, sections and contact details."""
    data = file.read_bytes()
    if len(data) > EXTRACT_MAX_BYTES:
        raise CliError(f"{file} is larger than {EXTRACT_MAX_BYTES // (1024 * 1024)} MB")
    request = extraction_pb2.ExtractDocumentRequest(content=data, filename=file.name)

    # Scans go through OCR: show that something is happening on a terminal.
    result: extraction_pb2.ExtractedDocument = app.session.call(
        lambda md: _waiting(
            app.session.extraction.ExtractDocument.future(request, timeout=deadline, metadata=md),
            f"extracting {file.name}",
        )
    )
    click.echo(output.to_json(result) if app.as_json else output.outline(result))


# AI: analysis, interview preparation, cover letters, chat ----------------------------------

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
AI_MAX_TEXT_CHARS = 60_000  # the AI service's default CAREERVAULT_AI_MAX_TEXT_CHARS
CHAT_HISTORY = 40  # messages sent back with each turn (the service takes at most 50)
CHAT_QUIT = ("exit", "quit", "/exit", "/quit", ":q")
TONE = click.Choice(["formal", "friendly", "concise"], case_sensitive=False)


def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(
            f"{path} is not UTF-8 text", hint=f"save the {what} as UTF-8 or pass a PDF/DOCX"
        ) from None
    if not text.strip():
        raise CliError(f"{path} is empty")
    if len(text) > AI_MAX_TEXT_CHARS:
        raise CliError(f"{path} is longer than {AI_MAX_TEXT_CHARS:,} characters")
    return text


@dataclasses.dataclass(frozen=True)
class JobRef:
    """A job given as a text file (its description) or as a saved job's name."""

    description: str = ""
    name: str = ""


class JobSource(_StrParam):
    """A file holding a job description, else `jobs/<id>` or `<id>` of a saved job."""

    name = "file_or_job"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, JobRef):
            return value
        raw = str(value).strip()
        path = Path(raw).expanduser()
        if path.is_file():
            return JobRef(description=_read_text(path, "job description"))
        job_id = raw.removeprefix(output.JOB_PREFIX)
        if _JOB_ID.fullmatch(job_id) and not path.suffix:
            return JobRef(name=output.JOB_PREFIX + job_id)
        self.fail(
            f"{value!r} is neither a file with a job description nor a job name "
            "(`jobs/<id>` or `<id>`)",
            param,
            ctx,
        )


JOB_SOURCE = JobSource()


def job_source_option(required: bool = True) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        option = click.option(
            "--job",
            "job_ref",
            type=JOB_SOURCE,
            required=required,
            metavar="FILE_OR_JOB",
            help="A text file with the job description, or a saved job (`jobs/<id>` or <id>).",
        )
        return option(f)

    return decorate


def deadline_option(default: float) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        option = click.option(
            "--deadline",
            type=click.FloatRange(min=1),
            default=default,
            show_default=True,
            metavar="SECONDS",
            help="How long the AI service may take (a scanned resume goes through OCR first).",
        )
        return option(f)

    return decorate


def _is_text(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES


def _read_document(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) > EXTRACT_MAX_BYTES:
        raise CliError(f"{path} is larger than {EXTRACT_MAX_BYTES // (1024 * 1024)} MB")
    if not data:
        raise CliError(f"{path} is empty")
    return data


def _waiting(future: Any, label: str) -> Any:
    """The future's result; on a terminal, a running timer on stderr meanwhile."""
    started = time.monotonic()
    shown = False
    while not future.done():
        if sys.stderr.isatty():
            click.echo(f"\r{label} ... {time.monotonic() - started:4.1f} s", nl=False, err=True)
            shown = True
        time.sleep(0.1)
    if shown:
        click.echo("\r" + " " * (len(label) + 12) + "\r", nl=False, err=True)
    return future.result()


def _resume_text(app: App, path: Path, deadline: float) -> str:
    """A .txt/.md resume as it is; any other file read by the extraction service."""
    if _is_text(path):
        return _read_text(path, "resume")
    request = extraction_pb2.ExtractDocumentRequest(
        content=_read_document(path), filename=path.name
    )
    result: extraction_pb2.ExtractedDocument = app.session.call(
        lambda md: _waiting(
            app.session.extraction.ExtractDocument.future(request, timeout=deadline, metadata=md),
            f"reading {path.name}",
        )
    )
    if not result.text.strip():
        raise CliError(f"no text could be read from {path}")
    return result.text


def _provider_note(info: Any) -> None:
    line = ai_output.provider_line(info)
    if line:
        click.echo(line, err=True)


@cli.command("analyze")
@click.argument("resume", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@job_source_option()
@click.option("--save", is_flag=True, help="Save the result on the job (needs a saved job).")
@deadline_option(120.0)
@json_option
@pass_app
def analyze(app: App, resume: Path, job_ref: JobRef, save: bool, deadline: float) -> None:
    """Match a RESUME against a job and explain the score.

    RESUME: a .txt or .md file is sent as text; any other file (PDF, DOCX, an image) is sent
    as a document, which the service reads with the extraction service. Prints the score, its
    breakdown, the matched and missing skills with their evidence, what to change, and which
    provider answered.
    """
    if save and not job_ref.name:
        raise CliError("--save needs a saved job", hint="pass --job jobs/<id>")
    request = ai_pb2.AnalyzeResumeRequest(
        job_description=job_ref.description, job=job_ref.name, save=save
    )
    if _is_text(resume):
        request.resume_text = _read_text(resume, "resume")
    else:
        request.document.CopyFrom(
            ai_pb2.Document(content=_read_document(resume), filename=resume.name)
        )
    result: ai_pb2.ResumeAnalysis = app.session.call(
        lambda md: _waiting(
            app.session.ai.AnalyzeResume.future(request, timeout=deadline, metadata=md),
            f"analysing {resume.name}",
        )
    )
    click.echo(output.to_json(result) if app.as_json else ai_output.analysis(result))
    if save:
        click.echo(f"saved on {job_ref.name}", err=True)


@cli.command("interview")
@job_source_option()
@click.option(
    "--resume",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Tailor the questions to this resume (its gaps, its bullets); .txt/.md or a document.",
)
@click.option(
    "--count", type=click.IntRange(1, 30), default=None, help="How many questions (default 10)."
)
@deadline_option(60.0)
@json_option
@pass_app
def interview(
    app: App, job_ref: JobRef, resume: Path | None, count: int | None, deadline: float
) -> None:
    """Interview questions for a job: technical, role, behavioural (with a STAR outline from
    your own bullets when a resume is given), the gaps to prepare for, and company research."""
    request = ai_pb2.PrepareInterviewRequest(
        job_description=job_ref.description, job=job_ref.name, question_count=count or 0
    )
    if resume is not None:
        request.resume_text = _resume_text(app, resume, deadline)
    result: ai_pb2.PrepareInterviewResponse = app.session.call(
        lambda md: app.session.ai.PrepareInterview(request, timeout=deadline, metadata=md)
    )
    click.echo(output.to_json(result) if app.as_json else ai_output.interview(result))


@cli.command("cover-letter")
@click.argument("resume", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@job_source_option()
@click.option("--tone", type=TONE, default="formal", show_default=True)
@deadline_option(60.0)
@json_option
@pass_app
def cover_letter(app: App, resume: Path, job_ref: JobRef, tone: str, deadline: float) -> None:
    """A cover letter draft for a job from RESUME (.txt/.md, or a document read by the
    extraction service). The local provider fills a template with your matched evidence and
    says so; edit the draft before sending it."""
    request = ai_pb2.GenerateCoverLetterRequest(
        resume_text=_resume_text(app, resume, deadline),
        job_description=job_ref.description,
        job=job_ref.name,
        tone=tone.lower(),
    )
    result: ai_pb2.CoverLetter = app.session.call(
        lambda md: app.session.ai.GenerateCoverLetter(request, timeout=deadline, metadata=md)
    )
    if app.as_json:
        click.echo(output.to_json(result))
        return
    click.echo(result.text)
    _provider_note(result.provider)


class _ChatFailed(Exception):
    def __init__(self, error: ai_pb2.ChatError) -> None:
        super().__init__(error.message)
        self.error = error


def _chat_turn(app: App, history: list[ai_pb2.ChatMessage], job: str, deadline: float) -> str:
    """Sends the conversation, prints the answer as it streams in, returns it."""
    request = ai_pb2.ChatRequest(messages=history[-CHAT_HISTORY:], job=job)

    def start(md: Metadata) -> tuple[Any, ai_pb2.ChatResponse | None]:
        stream = app.session.ai.Chat(request, timeout=deadline, metadata=md)
        # The first message proves the call was accepted (a refused token raises here, and
        # `call` refreshes it and starts again).
        return stream, next(stream, None)

    stream, first = app.session.call(start)
    answer: list[str] = []
    info: ai_pb2.ProviderInfo | None = None
    message = first
    while message is not None:
        if app.as_json:
            click.echo(json_format.MessageToJson(message, indent=None))
        if message.HasField("provider"):
            info = message.provider
        if message.delta:
            answer.append(message.delta)
            if not app.as_json:
                click.echo(message.delta, nl=False)
                sys.stdout.flush()
        if message.HasField("error"):
            if answer and not app.as_json:
                click.echo()
            raise _ChatFailed(message.error)
        message = next(stream, None)
    if answer and not app.as_json:
        click.echo()
    if info is not None and (info.fell_back or info.reason) and not app.as_json:
        _provider_note(info)
    return "".join(answer)


@cli.command("chat")
@click.option(
    "--job", "job", type=JOB, default=None, help="A saved job (`jobs/<id>`) to talk about."
)
@click.option("--message", "-m", default=None, help="Ask one question, print the answer and exit.")
@deadline_option(60.0)
@json_option
@pass_app
def chat(app: App, job: str | None, message: str | None, deadline: float) -> None:
    """Talk to the career assistant; answers stream in as they are written.

    It knows your applications and your latest analysis. Without -m it is a conversation:
    type a message, an empty line does nothing, `exit` or Ctrl-D ends it. With --json each
    streamed message is printed as one JSON line.
    """
    history: list[ai_pb2.ChatMessage] = []

    def ask(text: str) -> None:
        history.append(ai_pb2.ChatMessage(role="user", content=text))
        try:
            reply = _chat_turn(app, history, job or "", deadline)
        except _ChatFailed as failed:
            history.pop()
            raise CliError(f"{failed.error.code}: {failed.error.message}") from None
        except grpc.RpcError:
            history.pop()
            raise
        history.append(ai_pb2.ChatMessage(role="assistant", content=reply or "(no answer)"))

    if message is not None:
        if not message.strip():
            raise CliError("the message is empty")
        ask(message)
        return
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Career assistant: ask about your search; `exit` or Ctrl-D to leave.", err=True)
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            if interactive:
                click.echo(err=True)
            return
        text = line.strip()
        if not text:
            continue
        if text.lower() in CHAT_QUIT:
            return
        try:
            ask(text)
        except CliError as err:  # an error inside the stream: say so, keep the conversation
            click.echo(f"error: {err.message}", err=True)
        if interactive:
            click.echo()
