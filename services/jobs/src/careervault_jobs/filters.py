"""The `filter` and `order_by` languages of ListJobs (a small subset of AIP-160 and AIP-132).

filter:   term (AND term)*        term: field op value        op: = | != | :
          `:` means "contains" for text and "has" for tags; values are bare words or "quoted".
order_by: field [asc|desc] (, field [asc|desc])*
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument

TEXT_FIELDS = {"company", "position", "location", "source"}
ENUM_FIELDS = {"status": pb.JobApplication.Status, "work_mode": pb.JobApplication.WorkMode}
LIST_FIELDS = {"tags"}
ORDER_FIELDS = {"create_time", "update_time", "applied_date", "company", "position", "status"}
MAX_FILTER = 1000

_TOKEN = re.compile(r'\s*(?:(?P<op>!=|=|:)|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<word>[^\s=!:"]+))')


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # "=", "!=", ":"
    value: str | int


def _bad_filter(message: str) -> InvalidArgument:
    return InvalidArgument(
        f"filter: {message}",
        reason="INVALID_FILTER",
        violations=[FieldViolation("filter", message)],
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _bad_filter(f"cannot read from position {pos + 1}")
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("quoted"):
            out.append(("value", re.sub(r"\\(.)", r"\1", m.group("quoted")[1:-1])))
        else:
            out.append(("word", m.group("word")))
        pos = m.end()
    return out


def parse_filter(text: str) -> list[Condition]:
    if len(text) > MAX_FILTER:
        raise _bad_filter(f"at most {MAX_FILTER} characters")
    tokens = _tokens(text)
    conditions: list[Condition] = []
    i = 0
    while i < len(tokens):
        if conditions:
            if tokens[i] != ("word", "AND"):
                raise _bad_filter("join conditions with AND")
            i += 1
        if i + 2 >= len(tokens):
            raise _bad_filter("expected `field op value`")
        (kind, field), (op_kind, op), (val_kind, value) = tokens[i], tokens[i + 1], tokens[i + 2]
        if kind != "word" or op_kind != "op" or val_kind == "op":
            raise _bad_filter("expected `field op value`")
        conditions.append(_condition(field, op, value))
        i += 3
    return conditions


def _condition(field: str, op: str, value: str) -> Condition:
    if field in ENUM_FIELDS:
        enum = ENUM_FIELDS[field]
        if op == ":":
            raise _bad_filter(f"use = or != with {field}")
        try:
            number = enum.Value(value.upper())
        except ValueError:
            names = enum.keys()  # an EnumTypeWrapper, not a dict
            allowed = ", ".join(n for n in names if not n.endswith("UNSPECIFIED"))
            raise _bad_filter(f"{field} must be one of {allowed}") from None
        return Condition(field, op, number)
    if field in TEXT_FIELDS:
        return Condition(field, op, value)
    if field in LIST_FIELDS:
        if op != ":":
            raise _bad_filter(f"use `{field} : value` to match one of the {field}")
        return Condition(field, op, value)
    known = sorted([*TEXT_FIELDS, *ENUM_FIELDS, *LIST_FIELDS])
    raise _bad_filter(f"unknown field {field!r}; filter on {', '.join(known)}")


def parse_order_by(text: str) -> list[tuple[str, bool]]:
    """[(field, descending)], default newest first."""
    if not text.strip():
        return [("create_time", True)]
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise InvalidArgument(
                "order_by: expected `field [asc|desc]`, comma-separated.",
                reason="INVALID_ORDER_BY",
                violations=[FieldViolation("order_by", "expected `field [asc|desc]`")],
            )
        field = words[0]
        if field not in ORDER_FIELDS:
            raise InvalidArgument(
                f"order_by: cannot order by {field!r}.",
                reason="INVALID_ORDER_BY",
                violations=[
                    FieldViolation("order_by", f"order by one of {', '.join(sorted(ORDER_FIELDS))}")
                ],
            )
        out.append((field, len(words) == 2 and words[1].lower() == "desc"))
    return out
