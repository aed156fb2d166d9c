"""The files under UPLOAD_FOLDER against the rows that name them: missing files and orphans.

The app writes a photo's files (atomically) before the transaction that adds its row commits, and deletes
them again when that transaction fails. So a row without its files means damage, while a file without a row
is normal for a moment (the transaction is still running) and a leftover only when a process was killed
between the two steps. Orphans are therefore judged by age: only files older than a threshold count.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import column, inspect as sa_inspect, select, table
from sqlalchemy.engine import Connection

from ..photos.storage import PhotoStore, is_valid_key

# Temp files of the atomic writers (photos/storage.py, pdf/atomic.py): ".<name>.<random>.tmp"; and the folder a
# packed backup is unpacked into while it is restored (backup.py: ".restore-<random>.tmp").
TEMP_FILE_RE = re.compile(r"^\..+\.tmp$")
# Columns whose values are photo keys: a photo file is an orphan only if none of them names it.
# (letter_items keeps the key so a letter's PDF can be rebuilt with its photo; escalation_files holds the photos of
# units' written replies and of 约谈 records; intake_photos holds the photos of citizens' reports waiting for
# moderation, whose files an accepted report's ticket then shares; patrols holds 巡查打卡's photos of the street.)
PHOTO_KEY_COLUMNS = (("photos", "key"), ("letter_items", "photo_key"), ("escalation_files", "photo_key"),
                     ("intake_photos", "key"), ("patrols", "photo_key"))
DEFAULT_MIN_AGE = timedelta(hours=1)
_CHUNK = 500


@dataclass
class Orphans:
    keys: list[str] = field(default_factory=list)  # photo keys with files on disk and no row
    temp_files: list[Path] = field(default_factory=list)  # leftovers of writes (and restores) that were killed
    bytes: int = 0
    young: int = 0  # files without a row but newer than the threshold (probably in flight): left alone

    @property
    def count(self) -> int:
        return len(self.keys) + len(self.temp_files)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _present_columns(conn: Connection) -> list[tuple[str, str]]:
    inspector = sa_inspect(conn)
    tables = set(inspector.get_table_names())
    return [(t, c) for t, c in PHOTO_KEY_COLUMNS
            if t in tables and c in {col["name"] for col in inspector.get_columns(t)}]


def referenced_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    """Which of `keys` some row names."""
    keys = list(keys)
    found: set[str] = set()
    for table_name, column_name in _present_columns(conn):
        col = column(column_name)
        for chunk in _chunks(keys):
            found.update(conn.execute(select(col).select_from(table(table_name)).where(col.in_(chunk))).scalars())
    return found


def _files_of(store: PhotoStore, key: str) -> list[Path]:
    return [p for p in (store.path(key), store.path(key, thumb=True), store.path(key, stamped=True)) if p.exists()]


def _mtime(paths: list[Path]) -> float:
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except FileNotFoundError:
            pass
    return max(times, default=0.0)


def find_orphans(conn: Connection, upload_folder: str | os.PathLike, now: datetime,
                 min_age: timedelta = DEFAULT_MIN_AGE) -> Orphans:
    """Photo files no row names, atomic-write temp files, and folders of restores that were killed, last modified
    before `now - min_age`."""
    root = Path(upload_folder)
    store = PhotoStore(root)
    cutoff = now.timestamp() - min_age.total_seconds()
    result = Orphans()
    old: list[str] = []
    for key in store.iter_keys():
        (old if _mtime(_files_of(store, key)) <= cutoff else []).append(key)
    named = referenced_keys(conn, old)
    for key in old:
        if key not in named:
            result.keys.append(key)
            result.bytes += sum(p.stat().st_size for p in _files_of(store, key))
    young = [k for k in store.iter_keys() if _mtime(_files_of(store, k)) > cutoff]
    result.young = len(young) - len(referenced_keys(conn, young)) if young else 0
    for folder, dirs, names in os.walk(root):
        for name in list(dirs):
            if TEMP_FILE_RE.match(name):  # a restore's unpacking folder, left by a restore that was killed
                dirs.remove(name)
                path = Path(folder) / name
                inside = [Path(f) / n for f, _d, ns in os.walk(path) for n in ns]
                if _mtime([path, *inside]) <= cutoff:
                    result.temp_files.append(path)
                    result.bytes += sum(p.stat().st_size for p in inside)
        for name in names:
            if TEMP_FILE_RE.match(name):
                path = Path(folder) / name
                if _mtime([path]) <= cutoff:
                    result.temp_files.append(path)
                    result.bytes += path.stat().st_size
    return result


def delete_orphans(upload_folder: str | os.PathLike, orphans: Orphans) -> int:
    """Remove what find_orphans() found; returns the number of keys and temp files removed."""
    store = PhotoStore(upload_folder)
    for key in orphans.keys:
        store.delete(key)
    for path in orphans.temp_files:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return orphans.count


def missing_files(conn: Connection, upload_folder: str | os.PathLike) -> list[str]:
    """Photo rows whose main image or thumbnail is not on disk (relative paths); should always be empty."""
    store = PhotoStore(upload_folder)
    missing = []
    if ("photos", "key") not in _present_columns(conn):
        return missing
    for key in conn.execute(select(column("key")).select_from(table("photos"))).scalars():
        if not is_valid_key(key):
            missing.append(f"<invalid key {key!r}>")
            continue
        for thumb in (False, True):
            path = store.path(key, thumb=thumb)
            if not path.is_file():
                missing.append(str(path.relative_to(store.root)))
    return missing
