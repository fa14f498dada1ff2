"""Generates web/src/api/types.gen.ts from the descriptor set build/careervault.pb.

The SPA talks to the REST API through Envoy's gRPC-JSON transcoder, so the shapes here are the
proto3 JSON mapping as Envoy prints it (gateway/render.py: lowerCamelCase names, enums as
names, `always_print_primitive_fields`):

- field names are each field's `json_name`;
- scalars, enums, repeated and map fields are always printed, so they are required in the
  interfaces of response-side messages; message fields, oneof members and proto3 `optional`
  fields are left out when unset, so they are optional (`?`);
- messages whose name ends in `Request` are what the SPA sends: every field is optional there;
- int64/uint64/fixed64/sint64/sfixed64 are JSON strings, bytes are base64 strings;
- enums are unions of their value names (plus a `...Values` array for selects);
- google.protobuf.Timestamp, Duration and FieldMask are strings; Struct is
  Record<string, unknown>; Value is unknown; ListValue is unknown[]; Empty is an empty object;
  the wrappers are their primitive (or null); Any carries `@type`;
- google.api.HttpBody is a raw body, not JSON: a method returning it answers with the body's
  bytes and content type, and a request carrying one sends raw bytes (see `HttpBody` below).

A short type name is used when only one package defines it; otherwise the name is prefixed with
the package (identity's ExportUserDataRequest becomes IdentityExportUserDataRequest). Nested
types are joined with `_` (JobApplication.Status becomes JobApplication_Status).

Run by scripts/gen.sh (`make gen`); the output is not committed, so a renamed proto field
breaks `npm run build` instead of the app at run time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

FDP = descriptor_pb2.FieldDescriptorProto

REPO = Path(__file__).resolve().parents[1]

# Packages whose messages are emitted; google.rpc brings the error details the SPA reads,
# google.type the calendar dates and money the API uses.
OWN_PREFIX = "careervault."
EXTRA_PACKAGES = ("google.rpc", "google.type")

SCALARS: dict[int, str] = {
    FDP.TYPE_DOUBLE: "number",
    FDP.TYPE_FLOAT: "number",
    FDP.TYPE_INT32: "number",
    FDP.TYPE_UINT32: "number",
    FDP.TYPE_SINT32: "number",
    FDP.TYPE_FIXED32: "number",
    FDP.TYPE_SFIXED32: "number",
    # 64-bit integers do not fit a JS number: the JSON mapping prints them as strings.
    FDP.TYPE_INT64: "string",
    FDP.TYPE_UINT64: "string",
    FDP.TYPE_SINT64: "string",
    FDP.TYPE_FIXED64: "string",
    FDP.TYPE_SFIXED64: "string",
    FDP.TYPE_BOOL: "boolean",
    FDP.TYPE_STRING: "string",
    FDP.TYPE_BYTES: "string",
}

WELL_KNOWN: dict[str, str] = {
    ".google.protobuf.Timestamp": "string",
    ".google.protobuf.Duration": "string",
    ".google.protobuf.FieldMask": "string",
    ".google.protobuf.Struct": "Record<string, unknown>",
    ".google.protobuf.Value": "unknown",
    ".google.protobuf.ListValue": "unknown[]",
    ".google.protobuf.NullValue": "null",
    ".google.protobuf.Empty": "Empty",
    ".google.protobuf.Any": "Any",
    ".google.protobuf.DoubleValue": "number | null",
    ".google.protobuf.FloatValue": "number | null",
    ".google.protobuf.Int32Value": "number | null",
    ".google.protobuf.UInt32Value": "number | null",
    ".google.protobuf.Int64Value": "string | null",
    ".google.protobuf.UInt64Value": "string | null",
    ".google.protobuf.BoolValue": "boolean | null",
    ".google.protobuf.StringValue": "string | null",
    ".google.protobuf.BytesValue": "string | null",
    ".google.api.HttpBody": "HttpBody",
}

# Names that would shadow a global of the DOM or JS (or the prelude) get their package prefix:
# google.type.Date is GoogleDate, ai's Document is AiDocument.
RESERVED = {
    "Empty", "Any", "HttpBody", "Date", "Document", "Status", "Error", "Object", "Map", "Set",
    "Event", "Record", "Promise", "Response", "Request", "File", "Blob", "Location", "Range",
    "Node", "Element", "Text", "Comment", "Headers", "Image", "Selection", "History", "Storage",
}  # fmt: skip

PRELUDE = """\
/** google.protobuf.Empty: `{}`. */
export type Empty = Record<string, never>;

/** google.protobuf.Any: the packed message's fields plus its type URL. */
export interface Any {
  "@type": string;
  [field: string]: unknown;
}

/**
 * google.api.HttpBody. A method that returns one answers with raw bytes (its content type is the
 * response's Content-Type; read it with fetch's blob()/text(), not JSON). A request field of this
 * type is the raw request body (send the file's bytes with its Content-Type). The JSON form
 * below only appears when an HttpBody is nested in another message.
 */
export interface HttpBody {
  contentType?: string;
  /** base64 */
  data?: string;
  extensions?: Any[];
}
"""


@dataclass
class Msg:
    full: str  # ".pkg.Outer.Inner"
    package: str
    path: list[str]  # ["Outer", "Inner"]
    proto: descriptor_pb2.DescriptorProto
    comment: str


@dataclass
class Enum:
    full: str
    package: str
    path: list[str]
    proto: descriptor_pb2.EnumDescriptorProto
    comment: str


def _comments(fd: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    out: dict[tuple[int, ...], str] = {}
    for loc in fd.source_code_info.location:
        text = loc.leading_comments.strip()
        if text:
            out[tuple(loc.path)] = text
    return out


def _walk(
    fd: descriptor_pb2.FileDescriptorProto,
) -> Iterator[Msg | Enum]:
    comments = _comments(fd)
    pkg = fd.package

    def visit_enum(
        e: descriptor_pb2.EnumDescriptorProto, path: list[str], loc: tuple[int, ...]
    ) -> Enum:
        names = [*path, e.name]
        return Enum("." + ".".join([pkg, *names]), pkg, names, e, comments.get(loc, ""))

    def visit(
        m: descriptor_pb2.DescriptorProto, path: list[str], loc: tuple[int, ...]
    ) -> Iterator[Msg | Enum]:
        names = [*path, m.name]
        if m.options.map_entry:
            return
        yield Msg("." + ".".join([pkg, *names]), pkg, names, m, comments.get(loc, ""))
        for i, e in enumerate(m.enum_type):
            yield visit_enum(e, names, (*loc, 4, i))
        for i, n in enumerate(m.nested_type):
            yield from visit(n, names, (*loc, 3, i))

    for i, e in enumerate(fd.enum_type):
        yield visit_enum(e, [], (5, i))
    for i, m in enumerate(fd.message_type):
        yield from visit(m, [], (4, i))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _pascal(package_part: str) -> str:
    return package_part[:1].upper() + package_part[1:]


def _doc(text: str, indent: str) -> list[str]:
    if not text:
        return []
    lines = [ln.rstrip().replace("*/", "*\\/") for ln in text.splitlines()]
    if len(lines) == 1:
        return [f"{indent}/** {lines[0].strip()} */"]
    return [f"{indent}/**", *(f"{indent} * {ln.strip()}".rstrip() for ln in lines), f"{indent} */"]


class Generator:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet) -> None:
        self.files = list(fds.file)
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.emitted: list[Msg | Enum] = []
        for fd in self.files:
            for item in _walk(fd):
                if isinstance(item, Msg):
                    self.messages[item.full] = item.proto
                # Map entries are needed for key/value lookup even though not emitted.
            self._index_map_entries(fd)
            if fd.package.startswith(OWN_PREFIX) or fd.package in EXTRA_PACKAGES:
                self.emitted.extend(_walk(fd))
        # Short names where unique, package-prefixed otherwise.
        by_short: dict[str, list[Msg | Enum]] = {}
        for item in self.emitted:
            by_short.setdefault("_".join(item.path), []).append(item)
        self.names: dict[str, str] = {}
        for short, items in by_short.items():
            for item in items:
                if len(items) == 1 and short not in RESERVED:
                    self.names[item.full] = short
                else:
                    parts = item.package.split(".")
                    prefix = _pascal(parts[1]) if parts[0] == "careervault" else "Google"
                    self.names[item.full] = prefix + short

    def _index_map_entries(self, fd: descriptor_pb2.FileDescriptorProto) -> None:
        def visit(m: descriptor_pb2.DescriptorProto, prefix: str) -> None:
            full = f"{prefix}.{m.name}"
            self.messages[full] = m
            for n in m.nested_type:
                visit(n, full)

        for m in fd.message_type:
            visit(m, "." + fd.package)

    def ts_type(self, f: descriptor_pb2.FieldDescriptorProto) -> str:
        if f.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
            if f.type_name in WELL_KNOWN:
                return WELL_KNOWN[f.type_name]
            if f.type_name in self.names:
                return self.names[f.type_name]
            # A message from a package that is not emitted (google.type, ...): loosely typed.
            return "Record<string, unknown>"
        if f.type == FDP.TYPE_ENUM:
            if f.type_name == ".google.protobuf.NullValue":
                return "null"
            return self.names.get(f.type_name, "string")
        return SCALARS[f.type]

    def field_line(self, m: Msg, f: descriptor_pb2.FieldDescriptorProto, doc: str) -> list[str]:
        name = f.json_name or _camel(f.name)
        repeated = f.label == FDP.LABEL_REPEATED
        entry = self.messages.get(f.type_name) if f.type == FDP.TYPE_MESSAGE else None
        if repeated and entry is not None and entry.options.map_entry:
            key_field = next(x for x in entry.field if x.number == 1)
            value = next(x for x in entry.field if x.number == 2)
            # JSON object keys are strings whatever the key type (numbers and bools quoted).
            key_ts = self.ts_type(key_field)
            key_ts = key_ts if key_ts == "string" or " | " in key_ts else "string"
            ts = f"Record<{key_ts}, {self.ts_type(value)}>"
        elif repeated:
            inner = self.ts_type(f)
            ts = f"({inner})[]" if " " in inner else f"{inner}[]"
        else:
            ts = self.ts_type(f)
        optional = (
            m.path[-1].endswith("Request")
            or f.proto3_optional
            or (f.HasField("oneof_index") and not repeated)
            or (f.type == FDP.TYPE_MESSAGE and not repeated)
        )
        key = name if name.isidentifier() else f'"{name}"'
        return [*_doc(doc, "  "), f"  {key}{'?' if optional else ''}: {ts};"]

    def message(self, m: Msg, comments: dict[tuple[int, ...], str], loc: tuple[int, ...]) -> str:
        name = self.names[m.full]
        out = _doc(m.comment or f"{m.full[1:]}", "")
        fields = list(m.proto.field)
        if not fields:
            return "\n".join([*out, f"export type {name} = Record<string, never>;"])
        out.append(f"export interface {name} {{")
        oneofs = [
            o.name for i, o in enumerate(m.proto.oneof_decl) if not self._synthetic(m.proto, i)
        ]
        if oneofs:
            out.append(f"  // oneof {', '.join(oneofs)}: at most one member of each is set")
        for i, f in enumerate(fields):
            out.extend(self.field_line(m, f, comments.get((*loc, 2, i), "")))
        out.append("}")
        return "\n".join(out)

    @staticmethod
    def _synthetic(m: descriptor_pb2.DescriptorProto, index: int) -> bool:
        return any(
            f.proto3_optional
            for f in m.field
            if f.HasField("oneof_index") and f.oneof_index == index
        )

    def enum(self, e: Enum) -> str:
        name = self.names[e.full]
        values = [v.name for v in e.proto.value]
        out = _doc(e.comment or e.full[1:], "")
        union = " | ".join(f'"{v}"' for v in values) or "string"
        out.append(f"export type {name} = {union};")
        out.append(f"export const {name}Values: readonly {name}[] = [")
        out.extend(f'  "{v}",' for v in values)
        out.append("];")
        return "\n".join(out)

    def locations(self) -> dict[str, tuple[tuple[int, ...], dict[tuple[int, ...], str]]]:
        out: dict[str, tuple[tuple[int, ...], dict[tuple[int, ...], str]]] = {}
        for fd in self.files:
            comments = _comments(fd)

            def visit(
                m: descriptor_pb2.DescriptorProto,
                prefix: str,
                loc: tuple[int, ...],
                comments: dict[tuple[int, ...], str] = comments,
            ) -> None:
                full = f"{prefix}.{m.name}"
                out[full] = (loc, comments)
                for i, n in enumerate(m.nested_type):
                    visit(n, full, (*loc, 3, i))

            for i, m in enumerate(fd.message_type):
                visit(m, "." + fd.package, (4, i))
        return out

    def routes(self) -> list[str]:
        """Every REST route (google.api.http) as a typed table: method, path template, body."""
        lines = [
            "/** The REST routes of every RPC (google.api.http), by service and method. */",
            "export const routes = {",
        ]
        types = ["export interface Rpcs {"]
        for fd in self.files:
            if not fd.package.startswith(OWN_PREFIX):
                continue
            for svc in fd.service:
                if not any(m.options.HasExtension(annotations_pb2.http) for m in svc.method):
                    continue
                lines.append(f"  {svc.name}: {{")
                types.append(f"  {svc.name}: {{")
                for meth in svc.method:
                    rule = meth.options.Extensions[annotations_pb2.http]
                    verb, path = _http(rule)
                    if not verb:
                        continue  # gRPC only (no REST route)
                    stream = " stream: true," if meth.server_streaming else ""
                    lines.append(
                        f'    {meth.name}: {{ method: "{verb}", path: "{path}", '
                        f'body: "{rule.body}",{stream} }},'
                    )
                    req = self.names.get(meth.input_type) or WELL_KNOWN.get(
                        meth.input_type, "unknown"
                    )
                    res = self.names.get(meth.output_type) or WELL_KNOWN.get(
                        meth.output_type, "unknown"
                    )
                    types.append(f"    {meth.name}: {{ request: {req}; response: {res} }};")
                lines.append("  },")
                types.append("  };")
        lines.append("} as const;")
        types.append("}")
        return [*lines, "", *types]

    def render(self) -> str:
        locs = self.locations()
        parts = [
            "// Generated by scripts/gen_ts.py from build/careervault.pb (`make gen`).",
            "// Do not edit.",
            "// The JSON shapes of the REST API as Envoy's transcoder prints them.",
            "/* eslint-disable */",
            "",
            PRELUDE,
        ]
        for item in self.emitted:
            if isinstance(item, Enum):
                parts.append(self.enum(item))
            else:
                loc, comments = locs[item.full]
                parts.append(self.message(item, comments, loc))
            parts.append("")
        parts.extend(self.routes())
        return "\n".join(parts).rstrip() + "\n"


def _http(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind == "custom":
        return rule.custom.kind, rule.custom.path
    if kind is None:
        return "", ""
    return kind.upper(), str(getattr(rule, kind))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptor", type=Path, default=REPO / "build" / "careervault.pb")
    parser.add_argument("--out", type=Path, default=REPO / "web" / "src" / "api" / "types.gen.ts")
    args = parser.parse_args(argv)
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(args.descriptor.read_bytes())
    text = Generator(fds).render()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.out.exists() or args.out.read_text() != text:
        args.out.write_text(text)
    print(f"generated: {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
