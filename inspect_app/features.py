"""The feature packages, in dependency order. Each may have models.py, web.py and api.py (a blueprint
`bp`), cli.py (`register(app)`) and jobs.py (`JOBS`, for the scheduler); what a package has is used."""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

FEATURES = ("common", "auth", "background", "units", "sites", "workdays", "outbox", "tickets", "frontages", "photos",
            "escalation", "intake", "rankings", "dashboard", "territory", "notices", "office", "campaigns", "assessment",
            "keytasks", "surveys", "patrols", "workload", "ops", "audit", "field")


def feature_modules(kind: str) -> list[ModuleType]:
    modules = []
    for feature in FEATURES:
        name = f"{__package__}.{feature}.{kind}"
        if find_spec(f"{__package__}.{feature}") is not None and find_spec(name) is not None:
            modules.append(import_module(name))
    return modules
