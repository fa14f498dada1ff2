"""One JSON logger: every line carries the service, the request id and the method, and, while
a traced call is served (OTEL_* on, see telemetry.py), `trace_id` and `span_id` in W3C hex.

Resumes and job descriptions are personal data: log ids and sizes, never contents.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from careervault.runtime import telemetry
from careervault.runtime.context import method_var, request_id_var


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        record.method = method_var.get()
        ids = telemetry.current_ids()
        if ids is not None:
            record.trace_id, record.span_id = ids
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{request_id}{method}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
