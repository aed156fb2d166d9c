"""Timing helpers shared by the suite: interleaved medians, SQL capture and replay, the result row."""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One line of the table: a measured figure, the floor it is compared with, the target and the verdict."""

    name: str  # --only name of the benchmark that made it
    what: str
    database: str  # "SQLite", "PostgreSQL" or "" (no database involved)
    value: float | None
    unit: str  # "ms", "req/s", "KB", "MB", ...
    target: str
    ok: bool | None = None  # None: informational, no target
    floor: float | None = None
    floor_what: str = ""
    ratio: float | None = None
    detail: dict = field(default_factory=dict)  # p95, sample counts, ... (printed below the table)
    note: str = ""

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def interleaved(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1,
                cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Run each function `repeats` times, round-robin, after `warmup` untimed rounds; seconds per run.
    Interleaving makes a burst of load from other processes hit every function alike, and the order turns round
    every other round, so no function always runs right after another has warmed the caches for it (a figure and
    its floor read the same pages). With `cpu`, the thread's CPU seconds per run are collected there too (less
    disturbed by other processes than wall time)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    gc_was = gc.isenabled()
    for round_ in range(repeats):
        for name, fn in (list(fns.items()) if round_ % 2 == 0 else list(fns.items())[::-1]):
            gc.collect()
            gc.disable()  # a collection landing in one sample only is noise, not the code's cost
            try:
                start, start_cpu = time.perf_counter(), time.thread_time()
                fn()
                times[name].append(time.perf_counter() - start)
                if cpu is not None:
                    cpu.setdefault(name, []).append(time.thread_time() - start_cpu)
            finally:
                if gc_was:
                    gc.enable()
    return times


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def captured_sql(engine):
    """Every statement sent to the database inside the block: [(sql, parameters, executemany)]."""
    from sqlalchemy import event

    statements: list[tuple[str, object, bool]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):
        statements.append((statement, parameters, executemany))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def replay(connection, statements: list[tuple[str, object, bool]]) -> int:
    """Run captured SELECTs as plain SQL on `connection` and fetch every row; returns the row count."""
    rows = 0
    for statement, parameters, _many in statements:
        result = connection.exec_driver_sql(statement, parameters)
        rows += len(result.fetchall())
    return rows


def machine() -> dict:
    import os
    import platform
    import sqlite3

    info = {"cores": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(terse=True)}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info
