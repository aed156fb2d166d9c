"""The benchmark suite is not part of the tests (issue 7); this only checks that `python -m benchmarks --quick`
runs from a checkout and writes its table. SQLite only: the PostgreSQL pass of CI skips it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the quick benchmark run is SQLite's")
def test_quick_benchmark_run_writes_the_table(tmp_path):
    out = tmp_path / "benchmarks.md"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--cache", str(tmp_path / "cache"),
                             "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = out.read_text(encoding="utf-8")
    assert "| what | database | figure (median) | floor | ratio | target | result |" in report
    assert "Machine:" in report and "Load average" in report
    for figure in ("ingest of a 12 MP phone JPEG", "GET /api/v1/tickets?unit_id=&overdue=1", "ticket page (HTML)",
                   "unit's ticket list page", "leadership dashboard", "monthly red/black list", "escalation sweep",
                   "ticket export, xlsx", "GET /api/v1/tickets/<id>"):
        assert figure in report, figure


def test_the_ingest_floor_runs_on_the_photo_helpers_it_borrows():
    """bench_ingest's floor calls processing's private helpers; the slow run above is the only other caller, so
    a changed helper signature would otherwise surface only in a full benchmark run."""
    import io

    from PIL import Image

    from benchmarks import bench_ingest

    buf = io.BytesIO()
    Image.linear_gradient("L").resize((3264, 2448)).convert("RGB").save(buf, "JPEG", quality=85)
    bench_ingest.floor(buf.getvalue())
    bench_ingest.naive(buf.getvalue())
