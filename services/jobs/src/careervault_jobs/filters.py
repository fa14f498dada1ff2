"""The `filter` and `order_by` languages of ListJobs (a subset of AIP-160 and AIP-132).

filter:   term (AND term)*
term:     field op value | value            a bare value searches company, position and notes
op:       = | != | : | < | <= | > | >=       `:` is "contains" for text, "has" for tags
value:    word | "quoted string"            dates as YYYY-MM-DD, times as RFC 3339
order_by: field [asc|desc]                  one of ORDER_FIELDS; ties broken by id
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from careervault.jobs.v1 import jobs_pb2 as pb
from careervault.runtime.errors import FieldViolation, InvalidArgument

TEXT_FIELDS = {"company", "position", "location", "source"}
ENUM_FIELDS = {"status": pb.JobApplication.Status, "work_mode": pb.JobApplication.WorkMode}
LIST_FIELDS = {"tags"}
DATE_FIELDS = {"applied_date"}
TIME_FIELDS = {"create_time", "update_time"}
TEXT_SEARCH = "text"  # a bare term
ORDER_FIELDS = ("create_time", "update_time", "applied_date", "company")
COMPARISONS = {"<", "<=", ">", ">="}
MAX_FILTER = 1000
MAX_TERMS = 20

_TOKEN = re.compile(
    r'\s*(?:(?P<op><=|>=|!=|=|:|<|>)|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<word>[^\s=!:<>"]+))'
)


@dataclass(frozen=True)
class Condition:
    """One term. `value` is an enum number, a lower-cased string, a YYYY-MM-DD date or an
    epoch second, according to the field."""

    field: str
    op: str
    value: str | int | float


@dataclass(frozen=True)
class Order:
    field: str
    descending: bool


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
            raise _bad_filter(f"cannot read {text[pos : pos + 20]!r} at position {pos + 1}")
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
                raise _bad_filter(f"expected AND before {tokens[i][1]!r}")
            i += 1
            if i >= len(tokens):
                raise _bad_filter("nothing after AND")
        if i + 1 < len(tokens) and tokens[i + 1][0] == "op":
            if tokens[i][0] != "word":
                raise _bad_filter(f"{tokens[i][1]!r} is not a field name")
            if i + 2 >= len(tokens) or tokens[i + 2][0] == "op":
                raise _bad_filter(f"{tokens[i][1]} {tokens[i + 1][1]} needs a value")
            conditions.append(_condition(tokens[i][1], tokens[i + 1][1], tokens[i + 2][1]))
            i += 3
        else:
            kind, value = tokens[i]
            if kind == "op":
                raise _bad_filter(f"{value!r} needs a field before it")
            if value in ("AND", "OR", "NOT"):
                raise _bad_filter(f"{value} is not supported here; join terms with AND")
            if not value.strip():
                raise _bad_filter("empty search term")
            conditions.append(Condition(TEXT_SEARCH, ":", value.casefold()))
            i += 1
        if len(conditions) > MAX_TERMS:
            raise _bad_filter(f"at most {MAX_TERMS} terms")
    return conditions


def _date(field: str, value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise _bad_filter(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def _time(field: str, value: str) -> float:
    try:
        if len(value) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
        else:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError
    except ValueError:
        raise _bad_filter(
            f"{field}: {value!r} is not a date (YYYY-MM-DD) or an RFC 3339 time"
        ) from None
    return parsed.timestamp()


def _condition(field: str, op: str, value: str) -> Condition:
    if field in ENUM_FIELDS:
        enum = ENUM_FIELDS[field]
        if op not in ("=", "!="):
            raise _bad_filter(f"use = or != with {field}, not {op}")
        try:
            number = enum.Value(value.upper())
        except ValueError:
            names = enum.keys()  # an EnumTypeWrapper, not a dict
            allowed = ", ".join(n for n in names if not n.endswith("UNSPECIFIED"))
            raise _bad_filter(f"{field}: {value!r} is not one of {allowed}") from None
        return Condition(field, op, number)
    if field in TEXT_FIELDS:
        if op in COMPARISONS:
            raise _bad_filter(f"use =, != or : with {field}, not {op}")
        return Condition(field, op, value.casefold())
    if field in LIST_FIELDS:
        if op != ":":
            raise _bad_filter(f"use `{field} : value` to match one of the {field}, not {op}")
        return Condition(field, op, value.casefold())
    if field in DATE_FIELDS:
        if op in (":", "!="):
            raise _bad_filter(f"use =, <, <=, > or >= with {field}, not {op}")
        return Condition(field, op, _date(field, value))
    if field in TIME_FIELDS:
        if op in (":", "=", "!="):
            raise _bad_filter(f"use <, <=, > or >= with {field}, not {op}")
        return Condition(field, op, _time(field, value))
    known = sorted([*TEXT_FIELDS, *ENUM_FIELDS, *LIST_FIELDS, *DATE_FIELDS, *TIME_FIELDS])
    raise _bad_filter(f"unknown field {field!r}; filter on {', '.join(known)}")


def parse_order_by(text: str) -> Order:
    if not text.strip():
        return Order("create_time", True)
    words = text.split()
    if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
        raise InvalidArgument(
            "order_by: expected one `field [asc|desc]`.",
            reason="INVALID_ORDER_BY",
            violations=[FieldViolation("order_by", "expected one `field [asc|desc]`")],
        )
    if words[0] not in ORDER_FIELDS:
        raise InvalidArgument(
            f"order_by: cannot order by {words[0]!r}.",
            reason="INVALID_ORDER_BY",
            violations=[FieldViolation("order_by", f"order by one of {', '.join(ORDER_FIELDS)}")],
        )
    return Order(words[0], len(words) == 2 and words[1].lower() == "desc")
