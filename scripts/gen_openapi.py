"""Generates the REST API's OpenAPI 3.1 document (build/openapi.json) from build/careervault.pb.

The document describes what Envoy's gRPC-JSON transcoder actually serves (gateway/render.py
derives its routes from the same `google.api.http` annotations):

- one operation per HTTP binding (additional bindings included); the operation id is
  `Service.Method` and `x-grpc-method` names the RPC (`/package.Service/Method`);
- path templates become OpenAPI paths: `{field}` is a parameter named after the field,
  `{name=jobs/*}` is `/jobs/{job}` (one parameter per `*`, named after the collection before
  it), and a variable without a wildcard (`{name=users/me}`) is the literal `users/me`;
- the request body follows `body`: `*` is the request message minus the fields bound in the
  path, a field name is that field (minus the sub-fields bound in the path, which the gateway
  refuses to see twice), and a `google.api.HttpBody` is the raw body with its media type;
- every other field is a query parameter (nested fields as `parent.child`), by JSON name;
- schemas are the proto3 JSON mapping as Envoy prints it: lowerCamelCase names, enums as their
  names, 64-bit integers as strings, bytes as base64, Timestamp/Duration/FieldMask as strings,
  Struct/Value/ListValue/Any/wrappers as JSON; field_behavior REQUIRED is `required`,
  OUTPUT_ONLY is `readOnly`, INPUT_ONLY is `writeOnly`; unknown properties are not printed
  (`additionalProperties: false`);
- every operation but the public ones (libs/src/careervault/runtime/public.py) needs the
  bearer JWT; every error (the services' and Envoy's own) is `google.rpc.Status` JSON:
  `{"code", "message", "details"}`;
- a server-streaming method (assistant:chat) answers NDJSON, one message a line, which Envoy's
  transcoder labels `application/json`; the media type carries `x-stream: ndjson` and its
  schema is one line's.

Run by scripts/gen.sh (`make gen`). The gateway serves the same document, generated from the
descriptor set it transcodes with, at `GET /v1/openapi.json` (gateway/render.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from google.api import annotations_pb2, field_behavior_pb2, http_pb2
from google.protobuf import descriptor_pb2

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "libs" / "src") not in sys.path:
    sys.path.append(str(REPO / "libs" / "src"))
from careervault.runtime import public as _public  # noqa: E402

FDP = descriptor_pb2.FieldDescriptorProto
JSON = dict[str, Any]

OWN_PREFIX = "careervault."
OPENAPI_PATH = "/v1/openapi.json"
STATUS_SCHEMA = "google.rpc.Status"

PUBLIC_METHODS = frozenset(_public.PUBLIC_METHODS)

_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2**32 - 1}
_INT64 = {"type": "string", "format": "int64", "pattern": r"^-?[0-9]{1,19}$"}
_UINT64 = {"type": "string", "format": "uint64", "pattern": r"^[0-9]{1,20}$"}
_BYTES = {"type": "string", "format": "byte", "contentEncoding": "base64"}

SCALARS: dict[int, JSON] = {
    FDP.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FDP.TYPE_FLOAT: {"type": "number", "format": "float"},
    FDP.TYPE_INT32: _INT32,
    FDP.TYPE_SINT32: _INT32,
    FDP.TYPE_SFIXED32: _INT32,
    FDP.TYPE_UINT32: _UINT32,
    FDP.TYPE_FIXED32: _UINT32,
    # 64-bit integers are JSON strings (a JS number cannot hold them).
    FDP.TYPE_INT64: _INT64,
    FDP.TYPE_SINT64: _INT64,
    FDP.TYPE_SFIXED64: _INT64,
    FDP.TYPE_UINT64: _UINT64,
    FDP.TYPE_FIXED64: _UINT64,
    FDP.TYPE_BOOL: {"type": "boolean"},
    FDP.TYPE_STRING: {"type": "string"},
    FDP.TYPE_BYTES: _BYTES,
}


def _wrapper(inner: JSON) -> JSON:
    types = [inner["type"], "null"]
    return {**inner, "type": types}


# Well-known types with a JSON form of their own, inlined wherever they are used.
WELL_KNOWN: dict[str, JSON] = {
    ".google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    ".google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,9})?s$",
        "description": "Seconds with an `s` suffix, e.g. `3600s` or `1.5s`.",
    },
    ".google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated field paths, e.g. `status,notes`.",
    },
    ".google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    ".google.protobuf.Value": {},
    ".google.protobuf.ListValue": {"type": "array"},
    ".google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    ".google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
        "description": "A packed message: its fields plus `@type`, its type URL.",
    },
    ".google.protobuf.DoubleValue": _wrapper(SCALARS[FDP.TYPE_DOUBLE]),
    ".google.protobuf.FloatValue": _wrapper(SCALARS[FDP.TYPE_FLOAT]),
    ".google.protobuf.Int32Value": _wrapper(_INT32),
    ".google.protobuf.UInt32Value": _wrapper(_UINT32),
    ".google.protobuf.Int64Value": _wrapper(_INT64),
    ".google.protobuf.UInt64Value": _wrapper(_UINT64),
    ".google.protobuf.BoolValue": _wrapper(SCALARS[FDP.TYPE_BOOL]),
    ".google.protobuf.StringValue": _wrapper(SCALARS[FDP.TYPE_STRING]),
    ".google.protobuf.BytesValue": _wrapper(_BYTES),
}
HTTP_BODY = ".google.api.HttpBody"

# The media types of the methods whose request or response is a raw google.api.HttpBody (the
# proto says only "bytes"); any other such method is documented as `*/*`.
RAW_REQUEST_TYPES: dict[str, list[str]] = {
    "careervault.jobs.v1.JobService.ImportJobs": ["text/csv", "application/json"],
    "careervault.extraction.v1.ExtractionService.UploadDocument": [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "text/plain",
        "application/octet-stream",
    ],
}
RAW_RESPONSE_TYPES: dict[str, list[str]] = {
    "careervault.jobs.v1.JobService.ExportJobs": ["text/csv", "application/json"],
    "careervault.jobs.v1.JobService.GetCalendarIcs": ["text/calendar"],
}

_VAR = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _json_name(f: descriptor_pb2.FieldDescriptorProto) -> str:
    return f.json_name or _camel(f.name)


def _behaviors(f: descriptor_pb2.FieldDescriptorProto) -> set[int]:
    return set(f.options.Extensions[field_behavior_pb2.field_behavior])


def _http(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        return "", ""
    if kind == "custom":
        return rule.custom.kind.lower(), rule.custom.path
    return kind, str(getattr(rule, kind))


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def openapi_path(template: str) -> tuple[str, list[tuple[str, str]], set[str]]:
    """The OpenAPI path of a google.api.http template, its parameters and the bound fields.

    Returns (path, [(parameter, field path)], field paths bound in the path).
    """
    params: list[tuple[str, str]] = []
    bound: set[str] = set()
    used: set[str] = set()

    def unique(name: str) -> str:
        candidate, n = name, 2
        while candidate in used:
            candidate, n = f"{name}{n}", n + 1
        used.add(candidate)
        return candidate

    def replace(m: re.Match[str]) -> str:
        field, pattern = m.group(1), m.group(2)
        bound.add(field)
        leaf = field.rsplit(".", 1)[-1]
        if pattern is None:
            params.append((unique(_camel(leaf)), field))
            return "{" + params[-1][0] + "}"
        segments = pattern.split("/")
        out: list[str] = []
        for i, seg in enumerate(segments):
            if seg in ("*", "**"):
                before = segments[i - 1] if i > 0 and segments[i - 1] not in ("*", "**") else ""
                name = unique(_camel(_singular(before)) if before else _camel(leaf))
                params.append((name, field))
                out.append("{" + name + "}")
            else:
                out.append(seg)
        return "/".join(out)

    return _VAR.sub(replace, template), params, bound


class Generator:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet) -> None:
        self.files = list(fds.file)
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.comments: dict[str, str] = {}  # full name (message, enum, field, method) -> text
        for fd in self.files:
            self._index(fd)
        self.schemas: dict[str, JSON] = {}

    # -- indexing ---------------------------------------------------------------------------

    def _index(self, fd: descriptor_pb2.FileDescriptorProto) -> None:
        by_loc: dict[tuple[int, ...], str] = {}
        for loc in fd.source_code_info.location:
            text = loc.leading_comments.strip()
            if text:
                by_loc[tuple(loc.path)] = text
        pkg = "." + fd.package

        def enum(e: descriptor_pb2.EnumDescriptorProto, prefix: str, loc: tuple[int, ...]) -> None:
            full = f"{prefix}.{e.name}"
            self.enums[full] = e
            self.comments[full] = by_loc.get(loc, "")

        def message(m: descriptor_pb2.DescriptorProto, prefix: str, loc: tuple[int, ...]) -> None:
            full = f"{prefix}.{m.name}"
            self.messages[full] = m
            self.comments[full] = by_loc.get(loc, "")
            for i, f in enumerate(m.field):
                self.comments[f"{full}#{f.name}"] = by_loc.get((*loc, 2, i), "")
            for i, e in enumerate(m.enum_type):
                enum(e, full, (*loc, 4, i))
            for i, n in enumerate(m.nested_type):
                message(n, full, (*loc, 3, i))

        for i, e in enumerate(fd.enum_type):
            enum(e, pkg, (5, i))
        for i, m in enumerate(fd.message_type):
            message(m, pkg, (4, i))
        for si, svc in enumerate(fd.service):
            for mi, meth in enumerate(svc.method):
                key = f"{fd.package}.{svc.name}.{meth.name}"
                self.comments[key] = by_loc.get((6, si, 2, mi), "")

    # -- schemas ----------------------------------------------------------------------------

    @staticmethod
    def _ref(full: str) -> JSON:
        return {"$ref": f"#/components/schemas/{full.lstrip('.')}"}

    def _is_map(self, f: descriptor_pb2.FieldDescriptorProto) -> bool:
        entry = self.messages.get(f.type_name) if f.type == FDP.TYPE_MESSAGE else None
        return entry is not None and entry.options.map_entry

    def type_schema(self, f: descriptor_pb2.FieldDescriptorProto) -> JSON:
        """The schema of one value of `f` (not repeated)."""
        if f.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
            if f.type_name in WELL_KNOWN:
                return dict(WELL_KNOWN[f.type_name])
            self.message_schema(f.type_name)
            return self._ref(f.type_name)
        if f.type == FDP.TYPE_ENUM:
            if f.type_name == ".google.protobuf.NullValue":
                return {"type": "null"}
            self.enum_schema(f.type_name)
            return self._ref(f.type_name)
        return dict(SCALARS[f.type])

    def field_schema(self, owner: str, f: descriptor_pb2.FieldDescriptorProto) -> JSON:
        if f.label == FDP.LABEL_REPEATED and self._is_map(f):
            entry = self.messages[f.type_name]
            value = next(x for x in entry.field if x.number == 2)
            schema: JSON = {"type": "object", "additionalProperties": self.type_schema(value)}
        elif f.label == FDP.LABEL_REPEATED:
            schema = {"type": "array", "items": self.type_schema(f)}
        else:
            schema = self.type_schema(f)
        behaviors = _behaviors(f)
        if field_behavior_pb2.OUTPUT_ONLY in behaviors:
            schema["readOnly"] = True
        if field_behavior_pb2.INPUT_ONLY in behaviors:
            schema["writeOnly"] = True
        doc = self.comments.get(f"{owner}#{f.name}", "")
        if doc:
            schema["description"] = doc
        return schema

    def enum_schema(self, full: str) -> None:
        key = full.lstrip(".")
        if key in self.schemas:
            return
        e = self.enums[full]
        values = [v.name for v in e.value]
        schema: JSON = {"type": "string", "enum": values}
        if self.comments.get(full):
            schema["description"] = self.comments[full]
        self.schemas[key] = schema

    def message_schema(self, full: str) -> None:
        key = full.lstrip(".")
        if key in self.schemas:
            return
        if full == HTTP_BODY:
            # Nested in a message (never at the top level of a request or response), an
            # HttpBody is plain JSON.
            self.schemas[key] = {
                "type": "object",
                "properties": {
                    "contentType": {"type": "string"},
                    "data": dict(_BYTES),
                    "extensions": {
                        "type": "array",
                        "items": dict(WELL_KNOWN[".google.protobuf.Any"]),
                    },
                },
                "additionalProperties": False,
            }
            return
        self.schemas[key] = {}  # placeholder: recursion ends here
        self.schemas[key] = self.object_schema(full, exclude=set())

    def object_schema(self, full: str, exclude: set[str]) -> JSON:
        """The JSON object of message `full`, without the (dotted) field paths in `exclude`."""
        m = self.messages[full]
        props: JSON = {}
        required: list[str] = []
        oneofs: dict[int, list[str]] = {}
        for f in m.field:
            if f.name in exclude:
                continue
            nested = {p.split(".", 1)[1] for p in exclude if p.startswith(f.name + ".")}
            name = _json_name(f)
            if nested and f.type == FDP.TYPE_MESSAGE and f.type_name not in WELL_KNOWN:
                props[name] = self.object_schema(f.type_name, nested)
                if self.comments.get(f"{full}#{f.name}"):
                    props[name]["description"] = self.comments[f"{full}#{f.name}"]
            else:
                props[name] = self.field_schema(full, f)
            if field_behavior_pb2.REQUIRED in _behaviors(f):
                required.append(name)
            if f.HasField("oneof_index") and not f.proto3_optional:
                oneofs.setdefault(f.oneof_index, []).append(name)
        schema: JSON = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            schema["required"] = required
        doc = self.comments.get(full, "")
        groups = [names for names in oneofs.values() if len(names) > 1]
        if groups:
            # At most one member of a oneof is set (the transcoder refuses two).
            schema["not"] = {
                "anyOf": [{"required": [a, b]} for g in groups for a in g for b in g if a < b]
            }
            doc += "".join(f"\n\nAt most one of {', '.join(g)} is set." for g in groups)
        if doc:
            schema["description"] = doc.strip()
        return schema

    # -- operations -------------------------------------------------------------------------

    def _field_by_path(self, message: str, path: str) -> descriptor_pb2.FieldDescriptorProto:
        head, _, rest = path.partition(".")
        f = next(x for x in self.messages[message].field if x.name == head)
        return self._field_by_path(f.type_name, rest) if rest else f

    def query_params(
        self, full: str, exclude: set[str], prefix: str = "", depth: int = 0
    ) -> Iterator[JSON]:
        """Query parameters for every field of `full` not in `exclude` (dotted paths)."""
        for f in self.messages[full].field:
            if f.name in exclude:
                continue
            name = prefix + _json_name(f)
            if f.type == FDP.TYPE_MESSAGE and f.type_name not in WELL_KNOWN:
                if f.type_name == HTTP_BODY or self._is_map(f) or depth >= 2:
                    continue
                if f.label == FDP.LABEL_REPEATED:
                    continue  # repeated messages cannot be given in a query string
                nested = {p.split(".", 1)[1] for p in exclude if p.startswith(f.name + ".")}
                yield from self.query_params(f.type_name, nested, name + ".", depth + 1)
                continue
            schema = self.field_schema(full, f)
            description = schema.pop("description", "")
            schema.pop("readOnly", None)
            schema.pop("writeOnly", None)
            param: JSON = {"name": name, "in": "query", "schema": schema}
            if description:
                param["description"] = description
            if field_behavior_pb2.REQUIRED in _behaviors(f) and not prefix:
                param["required"] = True
            if f.label == FDP.LABEL_REPEATED:
                param["style"] = "form"
                param["explode"] = True
            yield param

    def operation(
        self,
        package: str,
        svc: descriptor_pb2.ServiceDescriptorProto,
        meth: descriptor_pb2.MethodDescriptorProto,
        rule: http_pb2.HttpRule,
        suffix: str,
    ) -> tuple[str, str, JSON]:
        verb, template = _http(rule)
        path, params, bound = openapi_path(template)
        full_method = f"{package}.{svc.name}.{meth.name}"
        grpc_method = f"/{package}.{svc.name}/{meth.name}"
        doc = self.comments.get(full_method, "")
        op: JSON = {
            "operationId": f"{svc.name}.{meth.name}{suffix}",
            "tags": [svc.name],
            "summary": doc.split("\n\n")[0].replace("\n", " ").split(". ")[0].rstrip("."),
            "x-grpc-method": grpc_method,
        }
        if doc:
            op["description"] = doc
        parameters: list[JSON] = []
        for name, field in params:
            f = self._field_by_path(meth.input_type, field)
            schema = self.type_schema(f) if f.type != FDP.TYPE_MESSAGE else {"type": "string"}
            if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
                # One path segment, and not a dot segment (Envoy normalizes `/jobs/..` away).
                schema["pattern"] = r"^[^/\\]*[^/\\.][^/\\]*$"
            parameters.append(
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": schema,
                    "description": f"The `{field}` field"
                    + (f" (bound as `{template}`)." if "=" in template else "."),
                }
            )
        body = rule.body
        query_exclude: set[str] | None = set(bound)
        if body == "*":
            query_exclude = None  # everything else is in the body
            schema = self.object_schema(meth.input_type, exclude=bound)
            self.message_schema(meth.input_type)
            if not bound:
                schema = self._ref(meth.input_type)
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }
        elif body:
            f = self._field_by_path(meth.input_type, body)
            query_exclude = {*bound, body}
            if f.type_name == HTTP_BODY:
                types = RAW_REQUEST_TYPES.get(full_method, ["*/*"])
                op["requestBody"] = {
                    "required": True,
                    "description": "The raw bytes, with their media type as Content-Type.",
                    "content": {t: {"schema": {}} for t in types},
                }
            else:
                nested = {p.split(".", 1)[1] for p in bound if p.startswith(body + ".")}
                if nested and f.type == FDP.TYPE_MESSAGE:
                    schema = self.object_schema(f.type_name, nested)
                    self.message_schema(f.type_name)
                else:
                    schema = self.field_schema(meth.input_type, f)
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                }
        if query_exclude is not None:
            parameters.extend(self.query_params(meth.input_type, query_exclude))
        if parameters:
            op["parameters"] = parameters

        if meth.output_type == HTTP_BODY:
            types = RAW_RESPONSE_TYPES.get(full_method, ["*/*"])
            content: JSON = {t: {"schema": {}} for t in types}
            description = "The raw bytes, with their media type as Content-Type."
        elif meth.server_streaming:
            # NDJSON under Envoy's `application/json` label: `schema` is one line's message.
            content = {
                "application/json": {
                    "schema": self._output_schema(meth.output_type),
                    "x-stream": "ndjson",
                }
            }
            description = (
                "A stream: one JSON object a line (NDJSON), each a "
                f"`{meth.output_type.lstrip('.')}` as described here. Envoy's transcoder labels "
                "it `application/json`; read it line by line."
            )
        else:
            content = {"application/json": {"schema": self._output_schema(meth.output_type)}}
            description = "OK"
        responses: JSON = {"200": {"description": description, "content": content}}
        if grpc_method not in PUBLIC_METHODS:
            responses["401"] = {"$ref": "#/components/responses/Unauthenticated"}
        else:
            op["security"] = []
        responses["default"] = {"$ref": "#/components/responses/Error"}
        op["responses"] = responses
        return path, verb, op

    def _output_schema(self, full: str) -> JSON:
        if full in WELL_KNOWN:
            return dict(WELL_KNOWN[full])
        self.message_schema(full)
        return self._ref(full)

    def document(self, services: Collection[str] | None = None) -> JSON:
        paths: dict[str, JSON] = {}
        tags: list[JSON] = []
        for fd in self.files:
            if not fd.package.startswith(OWN_PREFIX):
                continue
            for si, svc in enumerate(fd.service):
                full_svc = f"{fd.package}.{svc.name}"
                if services is not None and full_svc not in services:
                    continue
                rules = [
                    (meth, r)
                    for meth in svc.method
                    for r in self._rules(meth.options.Extensions[annotations_pb2.http])
                ]
                if not rules:
                    continue  # gRPC only
                tags.append({"name": svc.name, "description": self._service_doc(fd, si)})
                seen: dict[str, int] = {}
                for meth, rule in rules:
                    n = seen[meth.name] = seen.get(meth.name, 0) + 1
                    path, verb, op = self.operation(
                        fd.package, svc, meth, rule, "" if n == 1 else f"_{n}"
                    )
                    paths.setdefault(path, {})[verb] = op
        self.message_schema("." + STATUS_SCHEMA)
        status = self._ref("." + STATUS_SCHEMA)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "CareerVault REST API",
                "version": "v1",
                "description": (
                    "The REST surface of CareerVault's gRPC services, transcoded by Envoy from "
                    "the protos' google.api.http annotations (generated by "
                    "scripts/gen_openapi.py; do not edit). Errors are google.rpc.Status JSON."
                ),
            },
            "servers": [{"url": "/"}],
            "security": [{"bearerAuth": []}],
            "tags": tags,
            "paths": dict(sorted(paths.items())),
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "An access token from auth:signIn (tokens.accessToken).",
                    }
                },
                "responses": {
                    "Error": {
                        "description": "An error: google.rpc.Status as JSON.",
                        "content": {"application/json": {"schema": status}},
                    },
                    "Unauthenticated": {
                        "description": "No token, or a bad, expired or wrong-kind token.",
                        "content": {"application/json": {"schema": status}},
                    },
                },
                "schemas": dict(sorted(self.schemas.items())),
            },
        }

    @staticmethod
    def _rules(rule: http_pb2.HttpRule) -> list[http_pb2.HttpRule]:
        return [r for r in (rule, *rule.additional_bindings) if r.WhichOneof("pattern")]

    @staticmethod
    def _service_doc(fd: descriptor_pb2.FileDescriptorProto, index: int) -> str:
        for loc in fd.source_code_info.location:
            if tuple(loc.path) == (6, index):
                return loc.leading_comments.strip()
        return ""


def document(
    fds: descriptor_pb2.FileDescriptorSet, services: Collection[str] | None = None
) -> JSON:
    """The OpenAPI document of `services` (full gRPC names; default: all with REST routes)."""
    return Generator(fds).document(services)


def load(descriptor: Path) -> descriptor_pb2.FileDescriptorSet:
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(descriptor.read_bytes())
    return fds


def render(doc: JSON) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", type=Path, default=REPO / "build" / "careervault.pb")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "openapi.json")
    args = parser.parse_args(argv)
    text = render(document(load(args.descriptor)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.out.exists() or args.out.read_text() != text:
        args.out.write_text(text)
    print(f"generated: {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
