"""Readers for the container files, shared by the deploy tests: a small Dockerfile parser that
follows build targets through their stages, docker-compose.yml as compose reads it, and the
environment variable names the settings classes and render.py read. No Docker engine needed.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from careervault.runtime.settings import SERVICE_PORTS, ServerSettings
from gateway import render

ROOT = Path(__file__).resolve().parents[2]
DOCKER_DIR = ROOT / "deploy" / "docker"
SERVICE_DOCKERFILE = DOCKER_DIR / "service.Dockerfile"
GATEWAY_DOCKERFILE = DOCKER_DIR / "gateway.Dockerfile"
BUILD_VENV = DOCKER_DIR / "build-venv.sh"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COGNITO_SEED = DOCKER_DIR / "cognito-local"

GRPC_SERVICES = tuple(SERVICE_PORTS)  # identity, jobs, extraction, ai
GATEWAY_PORT = 8080
# The aws-local profile runs each service again with its production configuration.
AWS_SUFFIX = "-aws"
AWS_GATEWAY = "gateway-aws"
STAND_INS = ("dynamodb-local", "cognito-local")
# Where the services are found in production (Cloud Map namespace careervault.local).
DISCOVERY_DOMAIN = "careervault.local"


def discovery_name(service: str) -> str:
    return f"{service}.{DISCOVERY_DOMAIN}"


# ---------------------------------------------------------------------------------------------
# Dockerfiles: enough of the syntax for these files (continuations, comments, stages, ARG).


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, COPY, ...
    args: str  # the rest of the logical line, continuations joined

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1].strip() if " CMD " in f" {text}" else ""
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list)
        return [str(v) for v in value]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def runs(self) -> str:
        return " ".join(i.args for i in self.all("RUN"))

    def arg_defaults(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for i in self.all("ARG"):
            name, sep, default = i.args.partition("=")
            out[name.strip()] = default if sep else None
        return out

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in self.all("ENV"):
            for token in shlex.split(i.args):
                key, _, value = token.partition("=")
                out[key] = value
        return out


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str | None]
    stages: list[Stage]

    def has(self, name: str) -> bool:
        return any(s.name == name for s in self.stages)

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def chain(self, target: str) -> list[Stage]:
        """The stages an image of `target` is made of, its base stages first."""
        out = [self.stage(target)]
        while self.has(out[0].base):
            out.insert(0, self.stage(out[0].base))
        return out

    def image(self, target: str) -> Image:
        """What an image built for `target` is configured with (inherited settings too)."""
        chain = self.chain(target)
        values: dict[str, str | None] = dict(self.global_args)
        env: dict[str, str] = {}
        instructions: list[Instruction] = []
        for stage in chain:
            values.update(stage.arg_defaults())
            env.update(stage.env())
            instructions.extend(stage.instructions)
        return Image(target, chain[0].base, instructions, env, values)


@dataclass
class Image:
    target: str
    base: str  # the FROM of the first stage in the chain, e.g. ${PYTHON_IMAGE}
    instructions: list[Instruction]
    env: dict[str, str]
    args: dict[str, str | None]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


def logical_lines(text: str) -> Iterator[str]:
    """Instructions with their continuation lines joined, comments and blank lines dropped."""
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # also inside a continuation, as Docker does
        if line.endswith("\\"):
            current.append(line[:-1].strip())
            continue
        current.append(line)
        yield " ".join(current)
        current = []
    assert not current, "the file ends inside a continuation"


@cache
def parse_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            assert keyword == "ARG", f"{path.name}: only ARG may come before FROM, not {keyword}"
            key, sep, default = args.partition("=")
            global_args[key] = default if sep else None
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return Dockerfile(path, global_args, stages)


def substitute(text: str, values: Mapping[str, str | None]) -> str:
    """${NAME} and $NAME as Docker expands them in ENV, USER, EXPOSE, ... (no modifiers here)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        value = values.get(name)
        assert value is not None, f"${name} has no value in {text!r}"
        return value

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


# ---------------------------------------------------------------------------------------------
# docker-compose.yml, read as compose reads it (YAML merge keys included; ${VAR:-default} is
# resolved to its default, i.e. what runs when nothing is set in the environment).


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def built_services() -> list[str]:
    """The compose services whose image is built from this repository."""
    return [name for name, spec in services().items() if "build" in spec]


def interpolate_defaults(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        default = m.group(2)
        assert default is not None, f"${{{m.group(1)}}} has no default in {text!r}"
        return default

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", one, text)


def environment(service: str) -> dict[str, str | None]:
    """A service's environment; None for a variable passed through from the host."""
    env = services()[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: write environment as a mapping"
    return {k: None if v is None else interpolate_defaults(str(v)) for k, v in env.items()}


def build_args(service: str) -> dict[str, str]:
    args = services()[service]["build"].get("args", {})
    return {k: interpolate_defaults(str(v)) for k, v in args.items()}


def dockerfile_of(service: str) -> Dockerfile:
    build = services()[service]["build"]
    assert build["context"] == ".", "the build context is the repository root"
    return parse_dockerfile(ROOT / build["dockerfile"])


def target_of(service: str) -> str:
    target = services()[service]["build"].get("target")
    assert target, f"{service}: compose must name the build target"
    return str(target)


def image_of(service: str) -> Image:
    """The image compose builds for a service, its build args applied."""
    image = dockerfile_of(service).image(target_of(service))
    image.args.update(build_args(service))
    return image


def image_user(service: str) -> str:
    image = image_of(service)
    user = image.last("USER")
    assert user is not None, f"{service}: the image sets no USER, so it runs as root"
    return substitute(user.args, image.args)


def volume_mounts(service: str) -> list[dict[str, Any]]:
    """Every volume of a service in the long syntax."""
    mounts: list[dict[str, Any]] = []
    for v in services()[service].get("volumes", []):
        if isinstance(v, str):
            source, target, *mode = v.split(":")
            mounts.append(
                {"type": "volume", "source": source, "target": target, "read_only": mode == ["ro"]}
            )
        else:
            mounts.append(v)
    return mounts


# ---------------------------------------------------------------------------------------------
# The names the code reads


def settings_class(service: str) -> type[ServerSettings]:
    module = importlib.import_module(f"careervault_{service}.settings")
    found = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, ServerSettings) and obj.__module__ == module.__name__
    ]
    assert len(found) == 1, f"one settings class in {module.__name__}, found {found}"
    return found[0]


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variable names a settings class reads."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        alias = info.validation_alias
        if alias is None:
            names.add(f"{prefix}{name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            raise AssertionError(f"{cls.__name__}.{name}: unexpected alias {alias!r}")
    return names


class RecordingEnv(dict[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def gateway_env_names() -> set[str]:
    """Every name GatewayConfig.from_env reads, in local and Cognito mode, all services on."""
    names: set[str] = set()
    cognito = {
        "CAREERVAULT_IDENTITY_BACKEND": "cognito",
        "COGNITO_REGION": "eu-west-1",
        "COGNITO_USER_POOL_ID": "eu-west-1_x",
        "COGNITO_CLIENT_ID": "c",
    }
    # With a collector set, the tracer's settings (sampler, flush interval) are read too.
    tracing = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    }
    cases: list[tuple[dict[str, str], list[str] | None]] = [
        ({}, None),
        ({}, list(render.SERVICES)),
        (cognito, None),
        (tracing, None),
    ]
    for values, enabled in cases:
        env = RecordingEnv(values)
        render.GatewayConfig.from_env(env, services=enabled, cwd=ROOT)
        names |= env.read
    return names
