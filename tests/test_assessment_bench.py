"""benchmarks/bench_assessment.py runs on a small register, and its section survives a rewrite of the file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the small benchmark run is SQLite's")
def test_small_assessment_benchmark_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "benchmarks/bench_assessment.py", "--sites", "420", "--round-sites", "40",
                             "--items", "5", "--repeats", "1"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "| draw: 5 of every type in every district (" in result.stdout
    assert "scores of a round of 40 sites × 5 items" in result.stdout
    assert "page_items: 5" in result.stdout


def test_the_assessment_section_is_kept_when_the_file_is_rewritten():
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_assessment import BEGIN, END, keep_block

    old = f"# Benchmarks\n\nold table\n\n{BEGIN}\n## Assessment rounds\nfigures\n{END}\n"
    new = keep_block(old, "# Benchmarks\n\nnew table\n")
    assert "new table" in new and "old table" not in new and f"{BEGIN}\n## Assessment rounds\nfigures\n{END}" in new
    assert keep_block(old, new) == new
