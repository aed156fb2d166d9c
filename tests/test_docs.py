"""The docs tell the truth about settings: every environment variable README's configuration table names is one
inspect_app/config.py reads (an IT person who sets a name nothing reads gets no error, only silence)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# config.py's readers of the environment: _env/_int/_float/_bool/_json/_parsed(NAME, ...) and os.environ.get(NAME)
READERS = {"_env", "_int", "_float", "_bool", "_json", "_parsed", "get"}
NAME = re.compile(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`")


def environment_read_by_config() -> set[str]:
    tree = ast.parse((ROOT / "inspect_app" / "config.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        first = node.args[0]
        if called in READERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def readme_configuration_names() -> set[str]:
    """The backticked UPPER_CASE names in the first column of README's "Configuration (environment variables)"
    table (its sub-sections and prose aside)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration[^\n]*\n(.*?)(?=^#{2,3} )", text, re.S | re.M)
    assert section, "README.md has no '## Configuration' section"
    names = set()
    for line in section.group(1).splitlines():
        cells = line.strip().strip("|").split("|")
        if line.lstrip().startswith("|") and len(cells) >= 2:
            names.update(NAME.findall(cells[0]))
    return names


def test_readme_configuration_names_only_variables_config_reads():
    documented = readme_configuration_names()
    assert len(documented) > 20  # the table was found and read, not an empty match
    read = environment_read_by_config()
    assert {"DATABASE_URL", "WEBHOOK_URL", "MAX_UPLOAD_MB"} <= read  # the reader finder sees config.py's calls
    assert sorted(documented - read) == []


def test_rankings_md_shows_the_default_scheme_as_shipped():
    """rankings.md prints the default scheme's JSON: every key it shows has the shipped value (its `found` lacked
    `superior`, 3 points, which the stored scheme and the 通报's method have)."""
    import json

    from inspect_app.rankings.schemes import DEFAULT_SCHEME
    text = (ROOT / "docs" / "rankings.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(\{\"code\": \"default\".*?)```", text, re.S)
    assert block, "rankings.md no longer shows the default scheme"
    shown = json.loads(block.group(1))
    assert {"found", "per", "charge"} <= set(shown)
    assert {key: DEFAULT_SCHEME[key] for key in shown} == shown
