"""docs/operations.md names the metrics an operator builds dashboards and alerts on: every
`careervault_*` name there must be one the services register (a renamed metric would leave an
alert watching nothing)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from prometheus_client import REGISTRY

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
# The modules that register the services' own metrics.
MODULES = (
    "careervault.runtime.metrics",
    "careervault_extraction.servicer",
    "careervault_ai.fallback",
    "careervault_ai.cache",
)


def _registered() -> set[str]:
    for module in MODULES:
        importlib.import_module(module)
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        if family.type == "counter":  # a labelled counter has no sample before its first use
            names.add(family.name + "_total")
        names.update(sample.name for sample in family.samples)
    return names


def _documented(text: str) -> set[str]:
    return set(re.findall(r"\bcareervault_[a-z_]*[a-z]", text))


def test_every_metric_the_operations_doc_names_exists() -> None:
    documented = _documented(DOC.read_text())
    assert len(documented) >= 12, documented
    missing = sorted(documented - _registered())
    assert not missing, f"docs/operations.md names metrics no service registers: {missing}"
