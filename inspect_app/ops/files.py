"""The files under UPLOAD_FOLDER against the rows that name them: missing files and orphans.

The app writes a photo's files (atomically) before the transaction that adds its row commits, and deletes
them again when that transaction fails. So a row without its files means damage, while a file without a row
is normal for a moment (the transaction is still running) and a leftover only when a process was killed
between the two steps. Orphans are therefore judged by age: only files older than a threshold count.

Besides photos, UPLOAD_FOLDER holds documents that rows name by path: 督办函 and 通报 PDFs (letters/<year>/,
letters.pdf_path), the PDFs attached to replies and 约谈 records (escalation/<year>/, escalation_files.path), the
issued 测评 督查通报 (assessment/<year>/<seq>.pdf, named by the round's bulletin_year and bulletin_seq:
assessment.documents.issued_path) and the 红黑榜 PDFs (rankings/, named after the list: rankings.services.pdf_name;
those issued before that name by their id and version: rankings.services.issued_pdf).
A document no row names is an orphan too, and after a restore it is worse than waste: a letter's (or a 测评通报's)
file is named by its number, and the next letter of that number would be served the discarded letter's file. So
restore sets such documents aside at once (set_aside), and cleanup-orphans removes those a killed process left.
(Background jobs' files, jobs/, are swept by the jobs' own sweep.)
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

from ..common.types import UTCDateTime
from ..photos.storage import PhotoStore, is_valid_key

# Temp files of the atomic writers (photos/storage.py, pdf/atomic.py): ".<name>.<random>.tmp"; and the folder a
# packed backup is unpacked into while it is restored (backup.py: ".restore-<random>.tmp").
TEMP_FILE_RE = re.compile(r"^\..+\.tmp$")
# Where restore puts the documents the restored database does not name (set_aside): kept for the administrator to
# look at, never served, not backed up.
SET_ASIDE_DIR = "restore-set-aside"
# The documents under UPLOAD_FOLDER that rows name by path (relative to UPLOAD_FOLDER; rankings: to their folder).
LETTER_PDF_RE = re.compile(r"letters/\d{4}/(tb)?\d+\.pdf")
ATTACHMENT_PDF_RE = re.compile(r"escalation/\d{4}/[0-9a-f]{32}\.pdf")
ASSESSMENT_PDF_RE = re.compile(r"assessment/\d{4}/\d+\.pdf")
RANKING_PDF_RE = re.compile(r"ranking-[^/]+\.pdf")
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
    documents: list[Path] = field(default_factory=list)  # letter, attachment and list PDFs no row names
    bytes: int = 0
    young: int = 0  # files without a row but newer than the threshold (probably in flight): left alone

    @property
    def count(self) -> int:
        return len(self.keys) + len(self.temp_files) + len(self.documents)


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


def _columns(conn: Connection, table_name: str) -> set[str]:
    inspector = sa_inspect(conn)
    return {c["name"] for c in inspector.get_columns(table_name)} if inspector.has_table(table_name) else set()


def _files_matching(folder: Path, pattern: re.Pattern, base: Path) -> list[Path]:
    """The files under `folder` whose path relative to `base` the pattern matches (temp files never do)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*.pdf")
                  if pattern.fullmatch(path.relative_to(base).as_posix()) and path.is_file())


def stored_documents(upload_folder: str | os.PathLike, rankings_folder: str | os.PathLike | None = None) -> list[Path]:
    """Every letter, attachment, issued 测评通报 and list PDF on disk."""
    root = Path(upload_folder)
    rankings = Path(rankings_folder) if rankings_folder else root / "rankings"
    return (_files_matching(root / "letters", LETTER_PDF_RE, root)
            + _files_matching(root / "escalation", ATTACHMENT_PDF_RE, root)
            + _files_matching(root / "assessment", ASSESSMENT_PDF_RE, root)
            + _files_matching(rankings, RANKING_PDF_RE, rankings))


def named_documents(conn: Connection, upload_folder: str | os.PathLike,
                    rankings_folder: str | os.PathLike | None = None) -> set[Path]:
    """The documents' paths the rows name: each letter's PDF, each attached PDF, each issued 测评通报, each variant of
    each list's PDF.
    Read through plain columns, so a database restored from an older release (not upgraded yet) is read too."""
    from ..rankings.services import VARIANTS, issued_pdf, pdf_name

    root = Path(upload_folder)
    rankings = Path(rankings_folder) if rankings_folder else root / "rankings"
    named: set[Path] = set()
    if "pdf_path" in _columns(conn, "letters"):
        col = column("pdf_path")
        named.update(root / p for p in conn.execute(select(col).select_from(table("letters")).where(col != "")
                                                    ).scalars() if p)
    if "path" in _columns(conn, "escalation_files"):
        col = column("path")
        named.update(root / p for p in conn.execute(select(col).select_from(table("escalation_files"))
                                                    .where(col.is_not(None), col != "")).scalars())
    if {"bulletin_year", "bulletin_seq"} <= _columns(conn, "assessment_rounds"):
        year, seq = column("bulletin_year"), column("bulletin_seq")
        named.update(root / "assessment" / f"{y:04d}" / f"{n}.pdf" for y, n in conn.execute(
            select(year, seq).select_from(table("assessment_rounds")).where(year.is_not(None), seq.is_not(None))))
    if {"id", "period", "version", "published_at"} <= _columns(conn, "rankings"):
        rows = conn.execute(select(column("id"), column("period"), column("version"),
                                   column("published_at", UTCDateTime())).select_from(table("rankings")))
        for row in rows:
            for variant in VARIANTS:
                named.add(rankings / pdf_name(row, variant))
                if (issued := issued_pdf(rankings, row, variant)) is not None:  # named as an older release did
                    named.add(issued)
    return named


def set_aside(conn: Connection, upload_folder: str | os.PathLike, into: Path) -> list[Path]:
    """Move the documents under UPLOAD_FOLDER that no row names into `into` (UPLOAD_FOLDER/restore-set-aside/<when>,
    their paths kept), whatever their age: after a restore they belong to records the restored database does not
    hold, and a letter's file is named by its number, which the next letter takes again. Returns where they went."""
    root = Path(upload_folder)
    named = named_documents(conn, root)
    moved = []
    for path in stored_documents(root):  # the rankings folder under UPLOAD_FOLDER (the one a backup holds)
        if path in named:
            continue
        target = into / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved.append(target)
    return moved


def find_orphans(conn: Connection, upload_folder: str | os.PathLike, now: datetime,
                 min_age: timedelta = DEFAULT_MIN_AGE, rankings_folder: str | os.PathLike | None = None) -> Orphans:
    """Photo files no row names, documents no row names (stored_documents), atomic-write temp files, and folders
    of restores that were killed, last modified before `now - min_age`."""
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
    named = named_documents(conn, root, rankings_folder)
    for path in stored_documents(root, rankings_folder):
        if path not in named and _mtime([path]) <= cutoff:
            result.documents.append(path)
            result.bytes += path.stat().st_size
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
    """Remove what find_orphans() found; returns the number of keys, documents and temp files removed."""
    store = PhotoStore(upload_folder)
    for key in orphans.keys:
        store.delete(key)
    for path in orphans.documents:
        path.unlink(missing_ok=True)
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
