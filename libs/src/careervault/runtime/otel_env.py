"""The standard OpenTelemetry variables, read one way for the services (`telemetry.py`) and the
gateway renderer (`gateway/render.py`): whether traces are switched off, which exporters are
named, and the URL spans go to. Standard library only, so the renderer can use it without the
runtime's dependencies (like `public.py`).
"""

from __future__ import annotations

from collections.abc import Mapping


def exporters(env: Mapping[str, str]) -> set[str]:
    """The names in OTEL_TRACES_EXPORTER, lower case ("otlp", "none", ...)."""
    names = {name.strip().lower() for name in env.get("OTEL_TRACES_EXPORTER", "").split(",")}
    names.discard("")
    return names


def disabled(env: Mapping[str, str]) -> bool:
    """True when traces are switched off whatever else is set: OTEL_SDK_DISABLED=true, or
    OTEL_TRACES_EXPORTER=none."""
    return env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or "none" in exporters(env)


def traces_endpoint(env: Mapping[str, str]) -> str:
    """The URL spans are posted to, as the OTLP/HTTP exporter derives it: the traces endpoint
    itself, or the base endpoint + /v1/traces; '' if neither variable is set."""
    url = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if url:
        return url
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    return f"{base.rstrip('/')}/v1/traces" if base else ""
