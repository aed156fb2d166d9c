"""Backups that stay consistent while the app keeps taking reports, and restoring them.

A backup is a directory, or the same directory packed into one file when DEST ends in .tar.gz or .tgz:

    manifest.json      format, created_at, database dialect and schema, row counts per table, sha256 of
                       the database file, file counts
    database.sqlite3   SQLite: a copy made with the online backup API (sqlite3.Connection.backup)
    database.pgdump    PostgreSQL: pg_dump --format=custom, taken inside an exported snapshot, without what another
                       role owns that is not the app's (foreign_relations)
    files/             everything under UPLOAD_FOLDER: photos, thumbnails, letter and ranking PDFs

Order is what makes it consistent: the database snapshot first, the files after. The app writes a photo's
files before the transaction that adds its row commits, so every photo row in the snapshot has its files by
the time they are copied; files that appeared later are extras without rows. The backup is built in a hidden
sibling folder and renamed into place at the end, so an interrupted backup never looks complete.

Restore refuses a database that holds rows (beyond what init-db seeds) unless `force` is given, a backup from a
newer release, and a damaged one (a packed file is read to its end, so gzip checks its CRC; the dump's sha256). It
unpacks a packed backup inside UPLOAD_FOLDER, puts the files back first and the database second (so again every
row finds its files), then sets aside the documents the restored database does not name (a letter's PDF is named
by its number, which the next letter would take again), and never asks anything. Photos without rows stay for
`cleanup-orphans`. Stop the web processes and the scheduler while restoring. On PostgreSQL the views another role
made on the app's tables go with them: they are named before anything changes, their definitions kept in a file, and
made again as their owner where the app's user may (others_views). The PostgreSQL client's version is checked against
the server (pg_dump) and the dump's format (pg_restore) before anything is written or changed.
"""
from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import column, create_engine, func, inspect as sa_inspect, literal, select, table, text
from sqlalchemy.engine import Connection, Engine, URL
from sqlalchemy.exc import SQLAlchemyError

from ..common.errors import is_storage_error, will_not_write
from ..common.timeutil import isoformat, local
from ..extensions import db
from ..photos.storage import PhotoStore, is_valid_key
from .files import SET_ASIDE_DIR, TEMP_FILE_RE, set_aside

FORMAT = "inspect-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES_DIR = "files"
PACKED_SUFFIXES = (".tar.gz", ".tgz")


class OpsError(Exception):
    """A refused or failed operation; the message is for the operator (Chinese)."""


# Rows that own photo files (files.PHOTO_KEY_COLUMNS without letter_items, whose key names a ticket photo's files
# again): a ticket's photos, 督办 attachments' photos, citizens' photos waiting for moderation, check-in photos.
OWN_PHOTO_FILES = (("photos", "key"), ("escalation_files", "photo_key"), ("intake_photos", "key"),
                   ("patrols", "photo_key"))


@dataclass
class Snapshot:
    """What the database held at the moment of the backup."""

    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # PostgreSQL: {name: owner} of foreign_relations()
    alembic_revision: list[str] = field(default_factory=list)
    server_version: str = ""
    photo_keys: list[str] = field(default_factory=list)  # every photo a row owns (OWN_PHOTO_FILES)
    letter_pdfs: list[str] = field(default_factory=list)  # letters marked as having their PDF


# ----------------------------------------------------------------------------- helpers

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def schema_fingerprint() -> str:
    """A digest of the tables and columns this version of the app expects."""
    lines = sorted(f"{t.name}.{c.name}:{type(c.type).__name__}" for t in db.metadata.sorted_tables for c in t.columns)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def app_tables() -> frozenset[str]:
    """The tables that are the app's: those of its models, and Alembic's."""
    return frozenset(db.metadata.tables) | {"alembic_version"}


# PostgreSQL: every relation in the app's schema that another role owns, with its owner and, for a sequence, the table
# that owns it (a serial or identity column's).
_OTHERS_RELATIONS = text("""
SELECT c.relname, c.relkind, r.rolname, t.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class t ON t.oid = d.refobjid
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND r.rolname <> current_user
ORDER BY c.relname
""")


def foreign_relations(conn: Connection) -> dict[str, str]:
    """PostgreSQL: {name: owner} of the tables, views and sequences in the app's schema that are not the app's: another
    role owns them (a DBA's table, one made by `CREATE TABLE` as another user), and they are none of app_tables()
    nor a sequence one of those owns. A backup leaves them out: they are not the city's data, the app's database user
    may not be allowed to read them, and a restore, which drops only what that user owns, could not replace them.
    Empty on SQLite (no roles)."""
    if conn.dialect.name != "postgresql":
        return {}
    ours = app_tables()
    found = {}
    for name, kind, owner, owned_by in conn.execute(_OTHERS_RELATIONS):
        if name not in ours and not (kind == "S" and owned_by in ours):
            found[name] = owner
    return found


def count_rows(conn: Connection, skip: Collection[str] = ()) -> dict[str, int]:
    names = sorted(name for name in sa_inspect(conn).get_table_names() if name not in skip)
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


# Tables the migrations fill with reference data (the 14 site types, the shipped 红黑榜 schemes and groups): a
# database just made with init-db holds these rows and nothing else, and a restore onto it overwrites nothing anyone
# entered. Anything entered there needs an account, which lives in another table.
SEEDED_TABLES = frozenset({"alembic_version", "site_kinds", "ranking_schemes", "ranking_groups"})


def database_is_empty(engine: Engine) -> bool:
    """No table holds a row, apart from what init-db seeds (SEEDED_TABLES) and what is not the app's
    (foreign_relations)."""
    with engine.connect() as conn:
        foreign = foreign_relations(conn)
        for name in sa_inspect(conn).get_table_names():
            if name not in SEEDED_TABLES and name not in foreign and conn.execute(
                    select(literal(1)).select_from(table(name)).limit(1)).first() is not None:
                return False
    return True


def _read_snapshot(conn: Connection, skip: Collection[str] = ()) -> Snapshot:
    inspector = sa_inspect(conn)
    tables = set(inspector.get_table_names())
    snap = Snapshot(rows=count_rows(conn, skip))
    if "alembic_version" in tables:
        snap.alembic_revision = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    keys: set[str] = set()
    for table_name, column_name in OWN_PHOTO_FILES:  # the rows whose photo files must be in the backup
        if table_name in tables and column_name in {c["name"] for c in inspector.get_columns(table_name)}:
            col = column(column_name)
            keys.update(conn.execute(select(col).select_from(table(table_name)).where(col.is_not(None))).scalars())
    snap.photo_keys = sorted(keys)
    if "letters" in tables and {"pdf_path", "pdf_written_at"} <= {c["name"] for c in inspector.get_columns("letters")}:
        snap.letter_pdfs = sorted(conn.execute(text(
            "SELECT pdf_path FROM letters WHERE pdf_written_at IS NOT NULL AND pdf_path <> ''")).scalars())
    return snap


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore / psql: from PG_BIN, the PATH, or the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("PG_BIN"):
        path = Path(os.environ["PG_BIN"]) / name
        if path.is_file():
            return str(path)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()])
    if candidates:
        return candidates[-1]
    raise OpsError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client），或用环境变量 PG_BIN 指定其目录。")


# ----------------------------------------------------------------------------- the PostgreSQL tools' versions
#
# pg_dump refuses a server newer than itself, and pg_restore an archive in a format newer than its own; each said so in
# English after the fact ("aborting because of server version mismatch", "unsupported version (1.15) in file
# header"). Both are now checked before anything is written or changed, and the tools' words, should they still
# come, are put into the operator's.

_TOOL_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# The archive format a pg_restore needs at least this major version to read (pg_backup_archiver.h's K_VERS_1_x):
# 1.14 since 12 (table access methods), 1.15 since 16 (compression algorithm), 1.16 since 17.
_ARCHIVE_FORMAT_SINCE = {(1, 14): (12,), (1, 15): (16,), (1, 16): (17,)}


def _major(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """PostgreSQL's major version of (major, minor …): 15 of 15.4, 9.6 of 9.6.24 (before 10, two numbers)."""
    return numbers[:1] if numbers[0] >= 10 else numbers[:2]


def _shown(major: tuple[int, ...]) -> str:
    return ".".join(map(str, major))


def tool_major(path: str) -> tuple[int, ...] | None:
    """The major version of a PostgreSQL program (`pg_dump --version`: pg_dump (PostgreSQL) 15.4 (Debian …)), or None
    when it does not say."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _TOOL_VERSION.search(out or "")
    if not found:
        return None
    return _major(tuple(int(n) for n in found.groups() if n is not None))


def _server_major(conn: Connection) -> tuple[int, ...]:
    number = int(conn.execute(text("SHOW server_version_num")).scalar_one())  # 150004, 90624
    return _major((number // 10000, number // 100 % 100))


def _installed_at_least(name: str, major: tuple[int, ...]) -> str | None:
    """A folder /usr/lib/postgresql/N/bin holding `name` of at least `major`, for the operator to give as PG_BIN."""
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")):
        found = tool_major(path)
        if found is not None and found >= major:
            return str(Path(path).parent)
    return None


def _install_hint(name: str, major: tuple[int, ...], again: str) -> str:
    version = _shown(major)
    folder = _installed_at_least(name, major)
    found = f"本机的 {folder} 中已有合适的版本，用环境变量 PG_BIN={folder} 指定它即可；否则" if folder else ""
    return (f"{found}请安装 PostgreSQL {version} 的客户端（Debian/Ubuntu：apt install postgresql-client-{version}，其中有"
            f"备份和恢复要用的 pg_dump、pg_restore 和 psql），如仍未用上它，用环境变量 PG_BIN 指定它的目录（如 "
            f"/usr/lib/postgresql/{version}/bin），然后重新运行 {again}。")


def _pg_dump_too_old(pg_dump: str, client: tuple[int, ...], server: tuple[int, ...]) -> str:
    return (f"备份未完成：本机的 pg_dump 是 PostgreSQL {_shown(client)} 的（{pg_dump}），而数据库服务器是 PostgreSQL "
            f"{_shown(server)}；pg_dump 不能比数据库服务器旧，无法备份。没有留下不完整的备份。"
            + _install_hint("pg_dump", server, "backup"))


def _check_pg_dump(engine: Engine) -> None:
    """Refuse, before anything is written, a pg_dump older than the server (it would stop at "server version
    mismatch")."""
    pg_dump = pg_tool("pg_dump")
    client = tool_major(pg_dump)
    if client is None:
        return  # it does not say: should it be too old, its own words are translated (_tool_failed)
    with engine.connect() as conn:
        server = _server_major(conn)
    if client < server:
        raise OpsError(_pg_dump_too_old(pg_dump, client, server))


def dump_header(dump: Path) -> tuple[tuple[int, int], str] | None:
    """A pg_dump custom-format archive's format version and the version of the pg_dump that wrote it, from its header
    (pg_backup_archiver.c, ReadHead): ((1, 14), "15.4 (Debian …)"); None when it is not such an archive or too old
    to say."""
    try:
        with open(dump, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:5] != b"PGDMP" or len(head) < 11:
        return None
    version, int_size = (head[5], head[6]), head[8]
    if version < (1, 10) or not 1 <= int_size <= 8:
        return None
    pos = 11

    def read_int() -> int:
        nonlocal pos
        sign, value = head[pos], int.from_bytes(head[pos + 1:pos + 1 + int_size], "little")
        pos += 1 + int_size
        return -value if sign else value

    def read_str() -> str:
        nonlocal pos
        length = read_int()
        if length < 0:
            return ""
        value = head[pos:pos + length].decode("utf-8", "replace")
        pos += length
        return value

    try:
        if version >= (1, 15):
            pos += 1  # the compression algorithm, one byte
        else:
            read_int()  # the compression level
        for _ in range(7):  # the time it was made
            read_int()
        read_str()  # the database's name
        read_str()  # the server's version
        made_by = read_str()
    except IndexError:
        return None
    return (version, made_by) if pos <= len(head) else None


def _made_by_major(made_by: str) -> tuple[int, ...] | None:
    found = _TOOL_VERSION.search(f"(PostgreSQL) {made_by}")
    return _major(tuple(int(n) for n in found.groups() if n is not None)) if found else None


def _pg_restore_too_old(pg_restore: str, client: tuple[int, ...] | None, needed: tuple[int, ...] | None,
                        made_by: str, archive: tuple[int, int]) -> str:
    """The refusal of an archive too new for this pg_restore; the client suggested is the version that made it."""
    made = f" PostgreSQL {made_by.split(' ')[0]} 的 pg_dump " if made_by else "较新版本的 pg_dump "
    least = f"，至少要 PostgreSQL {_shown(needed)} 的 pg_restore 才能读取" if needed else ""
    mine = f" 是 PostgreSQL {_shown(client)} 的（{pg_restore}），" if client else f"（{pg_restore}）"
    suggested = _made_by_major(made_by) or needed
    hint = (_install_hint("pg_restore", suggested, "restore") if suggested else
            "请安装与制作备份时同版本或更新的 PostgreSQL 客户端（Debian/Ubuntu：apt install postgresql-client-版本号），"
            "或用环境变量 PG_BIN 指定它的目录，然后重新运行 restore。")
    return (f"这个备份的数据库文件由{made}制作（文件格式 {archive[0]}.{archive[1]}）{least}；本机的 pg_restore{mine}"
            f"太旧，无法读取它。" + _UNCHANGED + hint)


def _pg_restore_problem(dump: Path) -> str | None:
    """Refusal, before anything changes, of an archive the pg_restore here is too old to read."""
    header = dump_header(dump)
    if header is None:
        return None
    archive, made_by = header
    pg_restore = pg_tool("pg_restore")
    client = tool_major(pg_restore)
    if client is None:
        return None
    needed = _ARCHIVE_FORMAT_SINCE.get(archive)
    if needed is None and archive > max(_ARCHIVE_FORMAT_SINCE):  # a format newer than this code knows
        needed = _made_by_major(made_by)
    if needed is None or client >= needed:
        return None
    return _pg_restore_too_old(pg_restore, client, needed, made_by, archive)


_SERVER_MISMATCH = re.compile(r"server version: (\d+)(?:\.(\d+))?[^;]*; pg_dump version: (\d+)(?:\.(\d+))?")
_UNSUPPORTED_ARCHIVE = re.compile(r"unsupported version \((\d+)\.(\d+)\) in file header")


def _tool_failed(tool: str, code: int, detail: str, dump: Path | None = None) -> OpsError:
    """The error for a PostgreSQL program that failed: a version mismatch in the operator's words, else its own."""
    if found := _SERVER_MISMATCH.search(detail):
        numbers = [int(n) if n is not None else None for n in found.groups()]
        server = _major(tuple(n for n in numbers[:2] if n is not None))
        client = _major(tuple(n for n in numbers[2:] if n is not None))
        return OpsError(_pg_dump_too_old(tool, client, server))
    if found := _UNSUPPORTED_ARCHIVE.search(detail):
        archive = (int(found.group(1)), int(found.group(2)))
        header = dump_header(dump) if dump else None
        made_by = header[1] if header else ""
        needed = _ARCHIVE_FORMAT_SINCE.get(archive) or _made_by_major(made_by)
        return OpsError(_pg_restore_too_old(tool, tool_major(tool), needed, made_by, archive))
    return OpsError(f"{Path(tool).name} 执行失败（退出码 {code}）：{detail}")


def pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq conninfo string for the app's database URL, and an environment carrying the password
    (PGPASSWORD), so the password never appears on a command line (visible in `ps`)."""
    from psycopg.conninfo import make_conninfo

    params = {k: str(v) for k, v in url.translate_connect_args(username="user", database="dbname").items()
              if v not in (None, "")}
    params.update({k: str(v) for k, v in url.query.items() if isinstance(v, str)})  # sslmode and the like
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise _tool_failed(args[0], result.returncode, detail)


def _sqlite_file(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise OpsError("只能备份和恢复文件形式的 SQLite 数据库。")
    return Path(name).resolve()


# ----------------------------------------------------------------------------- backup

def copy_sqlite(source: Path, out: Path) -> None:
    """A copy of the SQLite database `source` in the new file `out`, made with the online backup API: all pages in
    one step, so one read transaction and one consistent moment (in WAL mode the app's writers carry on meanwhile;
    a plain file copy would miss what the -wal file still holds). The copy is one self-contained file."""
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(out))
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # no -wal beside it
    finally:
        dst.close()
        src.close()


def copy_before_upgrade(engine: Engine, now: datetime) -> tuple[Path, Path]:
    """Before `python run.py` migrates an SQLite database: a copy of its file beside it, named with the local time
    (inspect.db -> inspect.before-upgrade-20261207-143000.db). Made under a hidden name and renamed when whole, so a
    copy cut short never looks like one. Returns (the database file, the copy)."""
    source = _sqlite_file(engine)
    stamp = f"{local(now):%Y%m%d-%H%M%S}"
    copy = source.with_name(f"{source.stem}.before-upgrade-{stamp}{source.suffix}")
    n = 1
    while copy.exists():  # started twice in one second
        n += 1
        copy = source.with_name(f"{source.stem}.before-upgrade-{stamp}-{n}{source.suffix}")
    partial = copy.with_name(f".{copy.name}.partial")
    try:
        copy_sqlite(source, partial)
        os.replace(partial, copy)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise OpsError(f"升级数据库前的备份没有完成：无法把 {source} 复制到 {copy}（{error}）。数据库没有升级；"
                       f"请确认该文件夹所在的磁盘有剩余空间、本服务可以写入它，然后重新启动。") from None
    return source, copy


def _backup_sqlite(engine: Engine, work: Path) -> tuple[Path, Snapshot]:
    source = _sqlite_file(engine)
    if not source.is_file():
        raise OpsError(f"数据库文件不存在：{source}")
    out = work / SQLITE_FILE
    copy_sqlite(source, out)
    copy = create_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as conn:
            snap = _read_snapshot(conn)
            snap.server_version = sqlite3.sqlite_version
    finally:
        copy.dispose()
    return out, snap


def _unreadable_app_relations(conn: Connection, skip: Collection[str]) -> dict[str, str]:
    """PostgreSQL: {name: owner} of the app's tables and sequences (all but `skip`) its database user may not read:
    pg_dump would stop at the first of them."""
    rows = conn.execute(text(
        "SELECT c.relname, r.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_roles r ON r.oid = c.relowner WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S') "
        "AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY c.relname"))
    return {name: owner for name, owner in rows if name not in skip}


def _pg_name_pattern(schema: str, name: str) -> str:
    """pg_dump's pattern for exactly this relation (double quotes: no wildcards, case kept)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def _backup_postgres(engine: Engine, work: Path) -> tuple[Path, Snapshot]:
    pg_dump = pg_tool("pg_dump")
    conninfo, env = pg_connection(engine.url)
    out = work / PG_FILE
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            # pg_dump joins this transaction's snapshot: the row counts below and the dump see the same moment.
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            skipped = foreign_relations(conn)
            if unreadable := _unreadable_app_relations(conn, skipped):
                user = conn.execute(text("SELECT current_user")).scalar_one()
                raise OpsError(_APP_TABLE_UNREADABLE.format(
                    tables="、".join(f"{name}（属于数据库角色 {owner}）" for name, owner in unreadable.items()),
                    user=user, first=next(iter(unreadable))))
            snap = _read_snapshot(conn, skipped)
            snap.skipped = skipped
            snap.server_version = str(conn.execute(text("SHOW server_version")).scalar_one())
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--file={out}",
                  *(f"--exclude-table={_pg_name_pattern(schema, name)}" for name in skipped),
                  f"--dbname={conninfo}"], env)
    return out, snap


_APP_TABLE_UNREADABLE = (
    "备份未完成：本系统的数据表 {tables} 不允许本系统的数据库用户 {user} 读取，没有留下不完整的备份。"
    "请数据库管理员把它交还给 {user}（ALTER TABLE {first} OWNER TO {user}）或授予读取权限"
    "（GRANT SELECT ON {first} TO {user}），然后重新运行 backup。")


def _copy_tree(source: Path, target: Path) -> dict[str, int]:
    """Copy UPLOAD_FOLDER; skip temp files of writes in progress (and a restore's unpacking folder), what a restore
    set aside, and anything that is a link."""
    files = size = vanished = 0
    target.mkdir(parents=True, exist_ok=True)
    for folder, dirs, names in os.walk(source):  # does not descend into linked folders
        relative = Path(folder).relative_to(source)
        dirs[:] = sorted(d for d in dirs if not TEMP_FILE_RE.match(d)
                         and not (relative == Path(".") and d == SET_ASIDE_DIR))
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            path = Path(folder) / name
            if TEMP_FILE_RE.match(name) or path.is_symlink():
                continue
            try:
                shutil.copy2(path, target / relative / name)
            except FileNotFoundError:  # deleted meanwhile (a failed upload cleaning up): nothing to keep
                vanished += 1
                continue
            files += 1
            size += (target / relative / name).stat().st_size
    return {"count": files, "bytes": size, "vanished": vanished}


def create_backup(dest: str | os.PathLike, *, engine: Engine, upload_folder: str | os.PathLike,
                  now: datetime) -> dict:
    """Back up the database and UPLOAD_FOLDER into `dest`; returns the manifest."""
    dest = Path(dest).resolve()
    upload = Path(upload_folder).resolve()
    packed = dest.name.endswith(PACKED_SUFFIXES)
    if dest == upload or upload in dest.parents:
        raise OpsError("备份位置不能在 UPLOAD_FOLDER 之内。")
    if dest.exists() and (packed or not dest.is_dir() or any(dest.iterdir())):
        raise OpsError(f"{dest} 已存在且不是空目录，请指定新的备份位置。")
    if engine.dialect.name == "postgresql":
        _check_pg_dump(engine)  # before anything is written
    try:  # a backup disk that is full, read-only, not mounted or not the service's: said, not a traceback
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    except OSError as error:  # any: where the backup goes is the operator's setting, not a bug
        raise OpsError(f"备份未完成：无法在 {dest.parent} 写入（{error}）。请确认备份所在的磁盘已挂载、有剩余空间，"
                       f"且允许本服务写入。") from None
    partial = dest.with_name(f".{dest.name}.partial")  # the packed file while it is written
    try:
        if engine.dialect.name == "sqlite":
            database, snap = _backup_sqlite(engine, work)
        elif engine.dialect.name == "postgresql":
            database, snap = _backup_postgres(engine, work)
        else:
            raise OpsError(f"不支持的数据库类型：{engine.dialect.name}")
        files = _copy_tree(upload, work / FILES_DIR)
        missing = _missing_in_backup(work / FILES_DIR, snap)
        manifest = {
            "format": FORMAT,
            "created_at": isoformat(now),
            "app": {"name": "文明城市督查整改系统", "schema_fingerprint": schema_fingerprint(),
                    "alembic_revision": snap.alembic_revision or None},
            "database": {"dialect": engine.dialect.name, "server_version": snap.server_version,
                         "file": database.name, "bytes": database.stat().st_size, "sha256": sha256_file(database),
                         "rows": snap.rows, "skipped": snap.skipped},
            "files": {"dir": FILES_DIR, **files, "photo_rows": snap.rows.get("photos", 0),
                      "missing": missing},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if packed:
            with tarfile.open(partial, "w:gz", compresslevel=1) as tar:  # photos are JPEGs already
                for child in sorted(work.iterdir()):
                    tar.add(child, arcname=child.name)
            os.replace(partial, dest)
            shutil.rmtree(work)
        else:
            if dest.exists():
                dest.rmdir()
            work.rename(dest)
    except BaseException as error:
        shutil.rmtree(work, ignore_errors=True)
        if packed:
            partial.unlink(missing_ok=True)
        if _disk_refused(error):  # the nightly backup's disk filled up: say so, not a traceback
            raise OpsError(f"备份未完成：磁盘空间不足或无法写入（{error}）。没有留下不完整的备份；请清理 {dest.parent} "
                           f"所在的磁盘或换一个备份位置后重试。") from None
        raise
    return manifest


def _disk_refused(error: BaseException) -> bool:
    return is_storage_error(error) or will_not_write(error)


def _missing_in_backup(files: Path, snap: Snapshot) -> list[str]:
    """Photo rows of the snapshot whose files are not in the backup, and letters marked written whose PDF
    is not. Both lists should be empty: files are written before their rows commit."""
    store = PhotoStore(files)
    missing = []
    for key in snap.photo_keys:
        if not is_valid_key(key):
            missing.append(f"<invalid key {key!r}>")
            continue
        missing += [str(store.path(key, thumb=t).relative_to(files)) for t in (False, True)
                    if not store.path(key, thumb=t).is_file()]
    missing += [path for path in snap.letter_pdfs if not (files / path).is_file()]
    return missing


# ----------------------------------------------------------------------------- restore

_UNCHANGED = "恢复没有进行，数据库和上传目录都没有被改动。"
# A backup, or a file in it, this process may not read: its permissions (a copy made as root with umask 077, a folder
# on the way the service may not enter), a failing disk, a stale mount. Not "the disk is full", not "damaged".
_UNREADABLE = ("无法读取备份 {src}（{error}）：本服务的用户没有读取它的权限，或它所在的磁盘出了故障。" + _UNCHANGED +
               "请确认本服务的用户可以读取这份备份（文件和它所在各级文件夹的所有者和权限），然后重新运行 restore。")
_NOT_A_BACKUP = "{src} 不是本系统的备份（{why}）。" + _UNCHANGED + "{hint}"
_DAMAGED_MANIFEST = ("备份 {src} 已损坏（{why}），无法恢复。" + _UNCHANGED +
                     "请换一份备份，或从备份的存放处重新复制它。")
# What a packed backup's unpacking ran into, in the operator's words: EOFError is gzip's for a file that ends early.
_DAMAGED = "备份文件 {src} 已损坏或不完整（{why}：{error}），无法恢复。请换一份备份，或从备份的存放处重新复制这个文件。"
_NO_ROOM = ("恢复未完成：备份解包到 {where}（UPLOAD_FOLDER）时磁盘空间不足或无法写入（{error}）。"
            "解包需要该磁盘至少有备份文件大小（{size}）再加上数据库的空间；数据库和上传目录都没有被改动。"
            "请清理或扩容磁盘后重新运行 restore。")


def _unpack(src: Path, into: Path) -> None:
    """Unpack `src` into the folder `into`, reading the compressed stream to its end: gzip checks its CRC and length
    only there, and tarfile takes a damaged header for the archive's end and stops without a word."""
    try:
        with tarfile.open(src, "r:*") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, "..", links out of the folder
            while tar.fileobj.read(1 << 20):
                pass
    except (EOFError, zlib.error, tarfile.TarError, OSError) as error:
        if isinstance(error, OSError) and _disk_refused(error) and (  # writing the unpacked files, not reading src
                error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)
                or into in Path(error.filename or "/").parents):
            raise OpsError(_NO_ROOM.format(where=into.parent, error=error, size=_size(src.stat().st_size))) from None
        if isinstance(error, OSError) and error.errno is not None and not (  # reading src failed (gzip's: no errno)
                error.filename and into in Path(error.filename).parents):
            raise OpsError(_UNREADABLE.format(src=src, error=error)) from None
        if isinstance(error, tarfile.ReadError) and "could not be opened" in str(error):
            raise OpsError(f"{src} 不是本系统的备份（不是 .tar.gz 备份文件，或文件开头已损坏）。") from None
        why = ("文件不完整，在压缩数据结束之前就到了末尾，可能没有复制完" if isinstance(error, EOFError) else
               "文件内容已损坏，校验不符")
        raise OpsError(_DAMAGED.format(src=src, why=why, error=error)) from None


def _size(n: int) -> str:
    return f"{n / 1024 ** 3:.1f} GB" if n >= 1024 ** 3 else f"{n / 1024 ** 2:.0f} MB"


@contextmanager
def _opened(src: Path, unpack_into: Path) -> Iterator[Path]:
    """A backup directory, or a packed backup unpacked into a temporary folder inside `unpack_into` (UPLOAD_FOLDER:
    the service may write there, and the files are then moved into place rather than copied, so the disk needs
    room for the backup once; the backup's own folder may be a read-only mount, or full)."""
    try:
        mode = src.stat().st_mode
    except FileNotFoundError:
        raise OpsError(f"找不到备份：{src} 不存在。{_UNCHANGED}") from None
    except OSError as error:  # a folder on the way the service may not enter, a stale mount
        raise OpsError(_UNREADABLE.format(src=src, error=error)) from None
    if stat.S_ISDIR(mode):
        yield src
        return
    if not stat.S_ISREG(mode):
        raise OpsError(_NOT_A_BACKUP.format(src=src, why="不是文件也不是文件夹", hint=""))
    try:
        with open(src, "rb"):
            pass
    except OSError as error:
        raise OpsError(_UNREADABLE.format(src=src, error=error)) from None
    try:
        unpack_into.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".restore-", suffix=".tmp", dir=unpack_into))
    except OSError as error:
        raise OpsError(_NO_ROOM.format(where=unpack_into, error=error, size=_size(src.stat().st_size))) from None
    try:
        _unpack(src, tmp)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _backups_in(folder: Path) -> list[str]:
    """The backups directly inside `folder` (packed files, folders with a manifest): the operator gave the folder
    the nightly backups go to, not one of them."""
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [child.name for child in children if child.name.endswith(PACKED_SUFFIXES) or (child / MANIFEST).is_file()]


def _manifest_problem(manifest) -> str | None:
    """What a manifest of this format lacks that a restore reads; None when it is whole."""
    if not isinstance(manifest, dict):
        return f"{MANIFEST} 的内容不是备份说明"
    database, app, files = manifest.get("database"), manifest.get("app"), manifest.get("files")
    if not (isinstance(database, dict) and isinstance(app, dict) and isinstance(files, dict)
            and isinstance(manifest.get("created_at"), str)):
        return f"{MANIFEST} 缺少 database、app、files 或 created_at"
    names = (database.get("file"), files.get("dir"))
    if not all(isinstance(name, str) and name and Path(name).name == name for name in names):
        return f"{MANIFEST} 中的数据库文件名或文件夹名无效"
    if not (isinstance(database.get("dialect"), str) and isinstance(database.get("sha256"), str)
            and isinstance(database.get("rows"), dict) and isinstance(app.get("alembic_revision") or [], list)):
        return f"{MANIFEST} 中的数据库说明不完整"
    return None


def read_manifest(folder: Path, src: Path | None = None) -> dict:
    """The backup's manifest; `src`: the packed file `folder` was unpacked from, which the operator knows. Each way it
    can fail has its own words: none there (not a backup: the folder of the nightly backups, say), not readable,
    damaged."""
    shown = src or folder
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError:
        found = [] if src else _backups_in(folder)
        hint = (f"这个文件夹里存放着 {len(found)} 份备份（例如 {found[-1]}），请指定其中的一份："
                f"flask --app run restore {folder / found[-1]}" if found else "")
        raise OpsError(_NOT_A_BACKUP.format(src=shown, why=f"其中没有 {MANIFEST}", hint=hint)) from None
    except OSError as error:  # its permissions, a failing disk; a folder named manifest.json
        raise OpsError(_UNREADABLE.format(src=shown if src else folder / MANIFEST, error=error)) from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError:  # cut short, overwritten (UnicodeDecodeError is one too)
        raise OpsError(_DAMAGED_MANIFEST.format(src=shown, why=f"{MANIFEST} 不完整或内容已损坏")) from None
    if isinstance(manifest, dict) and manifest.get("format") != FORMAT:
        raise OpsError(f"不认识的备份格式：{manifest.get('format')!r}")
    if problem := _manifest_problem(manifest):
        raise OpsError(_DAMAGED_MANIFEST.format(src=shown, why=problem))
    return manifest


def _unreadable_file(folder: Path) -> OSError | None:
    """The error of the first file or folder under `folder` this process may not read, each file opened before
    anything changes: a backup folder copied as root with umask 077 stopped the restore half way, its files
    partly put back, and said the disk was full (os.walk passed over a folder it could not open without a word)."""
    def fail(error: OSError) -> None:
        raise error
    try:
        for path_, _dirs, names in os.walk(folder, onerror=fail):
            for name in names:
                path = Path(path_) / name
                if not path.is_symlink() and path.is_file():
                    with open(path, "rb"):
                        pass
    except OSError as error:
        return error
    return None


def _restore_files(source: Path, target: Path, move: bool = False) -> int:
    """Put the backup's files into UPLOAD_FOLDER: copied through a temp file and a rename, or (`move`: a packed
    backup's files, unpacked on the same disk) renamed into place."""
    copied = 0
    if not source.is_dir():
        return copied
    for folder, dirs, names in os.walk(source):
        dirs.sort()
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            final = target / relative / name
            if move:
                os.replace(path, final)
                copied += 1
                continue
            partial = final.with_name(f".{name}.restore.tmp")
            try:
                shutil.copy2(path, partial)
                os.replace(partial, final)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            copied += 1
    return copied


def _sqlite_backup_problem(dump: Path) -> str | None:
    """Refusal for an SQLite backup a table of which cannot be read, checked before anything changes: the online
    backup API copies pages as they are, so a damaged table (a disk that failed under the backup, its sha256 written
    after the damage) replaced the live database and then stopped the restore with a traceback at the row counts.
    PRAGMA quick_check per table reads every page of the table and its indexes."""
    try:
        conn = sqlite3.connect(f"{dump.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return f"无法打开备份中的数据库文件 {dump}（{error}），{_UNCHANGED}"
    try:
        try:
            names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        except sqlite3.DatabaseError as error:
            return f"备份中的数据库文件 {dump} 无法读取（{error}），备份已损坏，{_UNCHANGED}请换一份备份。"
        for name in names:
            quoted = name.replace("'", "''")
            try:
                found = [str(row[0]) for row in conn.execute(f"PRAGMA quick_check('{quoted}')")]
            except sqlite3.DatabaseError as error:
                found = [str(error)]
            if found != ["ok"]:
                why = " ".join(" ".join(found).split())[:200]
                return f"备份中的数据表 {name} 无法读取（{why}），备份已损坏，{_UNCHANGED}请换一份备份。"
    finally:
        conn.close()
    return None


def _unreadable_tables_problem(engine: Engine) -> str | None:
    """PostgreSQL: refusal when one of the app's tables is another role's and the database user may neither read
    nor drop it (no grant, not a member of that role). The restore would stop at it with a traceback, before anything
    changed (looking whether the database holds data) or, with --force, after the database was replaced (counting
    its rows); nor could it replace such a table. Checked before anything changes, and named. What is not the app's
    (foreign_relations: a DBA's table) is left alone, as the backup left it out."""
    with engine.connect() as conn:
        user = conn.execute(text("SELECT current_user")).scalar_one()
        foreign = foreign_relations(conn)
        found = [(name, owner) for name, owner in conn.execute(text(
            "SELECT c.relname, r.rolname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_roles r ON r.oid = c.relowner WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND (NOT has_table_privilege(c.oid, 'SELECT') OR NOT pg_has_role(c.relowner, 'USAGE')) "
            "ORDER BY c.relname")) if name not in foreign]
    if not found:
        return None
    listed = "、".join(f"{name}（属于数据库角色 {owner}）" for name, owner in found)
    first = found[0][0]
    return (f"本系统的数据表 {listed}不属于本系统的数据库用户 {user}，恢复无法替换它，{_UNCHANGED}"
            f"请数据库管理员把它交还给 {user}（ALTER TABLE {first} OWNER TO {user}），然后重新运行 restore。")


# PostgreSQL: the views and materialized views another role made on what the restore drops (the relations the app's
# database user owns in its schema, _EMPTY_SCHEMA), in any schema, and those on them in turn, shallowest first. DROP
# ... CASCADE took them along without a word: a DBA's report views were gone after every restore.
_VIEWS_ON_APP_TABLES = text("""
WITH RECURSIVE dropped AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
), dependent (oid, depth) AS (
    SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid IN (SELECT oid FROM dropped) AND r.ev_class NOT IN (SELECT oid FROM dropped)
    UNION
    SELECT r.ev_class, dep.depth + 1 FROM dependent dep
    JOIN pg_depend d ON d.refobjid = dep.oid AND d.refclassid = 'pg_class'::regclass
                    AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE r.ev_class <> dep.oid AND dep.depth < 32
)
SELECT c.oid, n.nspname, c.relname, c.relkind, r.rolname, max(dep.depth) AS depth,
       pg_has_role(current_user, c.relowner, 'MEMBER') AS may,
       format('CREATE %s %I.%I%s AS%s%s;', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
              n.nspname, c.relname,
              CASE WHEN c.reloptions IS NULL THEN '' ELSE format(' WITH (%s)', array_to_string(c.reloptions, ', ')) END,
              E'\n', rtrim(pg_get_viewdef(c.oid, true), E'; \n')) AS definition,
       (SELECT string_agg(format('GRANT %s ON %I.%I TO %s;', a.privilege_type, n.nspname, c.relname,
                                 CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END),
                          E'\n' ORDER BY a.grantee, a.privilege_type)
          FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS grants,
       (SELECT format('COMMENT ON %s %I.%I IS %L;', CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
                      n.nspname, c.relname, obj_description(c.oid, 'pg_class'))
         WHERE obj_description(c.oid, 'pg_class') IS NOT NULL) AS comment
FROM dependent dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_roles r ON r.oid = c.relowner
WHERE c.relkind IN ('v', 'm') AND r.rolname <> current_user
GROUP BY c.oid, n.nspname, c.relname, c.relkind, r.rolname
ORDER BY depth, n.nspname, c.relname
""")

# PostgreSQL: what the app's database user granted other roles on its own tables, views and sequences (a DBA's
# reporting role's SELECT). pg_restore runs with --no-privileges (a role the dump names may not exist here), so these
# went with the tables; they are given again after the restore, to the tables that are there again.
_GRANTS_ON_APP_TABLES = text("""
SELECT c.relname, format('GRANT %s ON %I.%I TO %s;', a.privilege_type, n.nspname, c.relname,
                         CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.grantee <> c.relowner
ORDER BY c.relname, a.grantee, a.privilege_type
""")


@dataclass
class OthersView:
    """A view another role made on the app's tables, which the restore drops with them."""

    name: str  # schema.name
    quoted: str  # "schema"."name"
    owner: str
    may_recreate: bool  # the app's database user is a member of its owner's role
    statements: list[str]  # CREATE …, GRANT …, COMMENT …
    recreated: bool = False
    why: str = ""  # why it was not recreated


def others_views(engine: Engine) -> tuple[list[OthersView], list[str]]:
    """PostgreSQL: the views another role made on what the restore replaces, and the grants of the app's tables to
    other roles (_VIEWS_ON_APP_TABLES, _GRANTS_ON_APP_TABLES). Both empty on SQLite."""
    if engine.dialect.name != "postgresql":
        return [], []
    with engine.connect() as conn:
        views = [OthersView(f"{row.nspname}.{row.relname}", _pg_name_pattern(row.nspname, row.relname), row.rolname,
                            bool(row.may),
                            [row.definition, *([row.grants] if row.grants else []),
                             *([row.comment] if row.comment else [])])
                 for row in conn.execute(_VIEWS_ON_APP_TABLES)]
        grants = [statement for _name, statement in conn.execute(_GRANTS_ON_APP_TABLES)]
    return views, grants


def _write_views_file(path: Path, views: list[OthersView], grants: list[str], user: str, search_path: str,
                      now: datetime) -> None:
    """The SQL that makes the views (and the grants) again, for the DBA, written before anything changes."""
    lines = [f"-- 恢复（{local(now):%Y-%m-%d %H:%M}）替换本系统的数据表时，随之删除的其他数据库角色的视图，以及本系统数据表"
             f"给其他角色的授权。", "-- 由数据库管理员运行：psql -f 本文件；已由恢复重建的，再运行会报已存在。",
             f"SET search_path = {search_path};", ""]
    if grants:
        lines += [f"-- 本系统的数据库用户 {user} 给其他角色的授权（由 {user} 运行）", *grants, ""]
    for view in views:  # made by whoever runs the file (the DBA), then given to its owner
        kind = "MATERIALIZED VIEW" if view.statements[0].startswith("CREATE MATERIALIZED") else "VIEW"
        lines += [f"-- 视图 {view.name}（所有者 {view.owner}）", view.statements[0],
                  f"ALTER {kind} {view.quoted} OWNER TO {_quote_role(view.owner)};", *view.statements[1:], ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def _quote_role(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _recreate_others_views(engine: Engine, views: list[OthersView], grants: list[str]) -> None:
    """After the restore: the grants again, then each view as its owner (SET ROLE, which the app's user may only for
    a role it is a member of), each in a transaction of its own; a view the restored tables no longer fit (a column
    an older release did not have) is left, with why."""
    with engine.connect() as conn:
        for statement in grants:
            try:
                with conn.begin():
                    conn.exec_driver_sql(statement)
            except SQLAlchemyError:
                pass  # a table the restored database does not have, a role dropped meanwhile: in the file
        for view in views:
            if not view.may_recreate:
                view.why = f"本系统的数据库用户不是数据库角色 {view.owner} 的成员，不能以它的身份建视图"
                continue
            try:
                with conn.begin():
                    conn.exec_driver_sql(f"SET LOCAL ROLE {_quote_role(view.owner)}")
                    for statement in view.statements:
                        conn.exec_driver_sql(statement)
                view.recreated = True
            except SQLAlchemyError as error:
                why = str(getattr(error, "orig", None) or error).strip().splitlines()
                view.why = f"按原定义重建时出错：{why[0] if why else type(error).__name__}"


def _restore_sqlite(dump: Path, engine: Engine) -> None:
    target = _sqlite_file(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(dump))
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        src.backup(dst)  # replaces the whole database in one transaction on the destination
    finally:
        dst.close()
        src.close()


# Sent first, in the restore's own transaction: every table, view and sequence the database user owns in its schema
# is dropped, so the dump is restored into an empty schema. pg_restore --clean drops only what the dump holds: the
# tables a later release added (last_sign_ins, patrols, surveys …) kept their foreign keys on users, and a backup
# made by an older release could not be restored onto a database this release had set up ("cannot drop constraint
# pk_users … because other objects depend on it"). Objects only: the user need not own the schema, and whatever
# another role owns is left (should it stand in the way, the restore fails and changes nothing).
#
# Another session's open transaction on a table (a web process or the scheduler still running, a DBA's psql left in a
# transaction) made the first DROP wait for it without end and without a word. The drops now wait RESTORE_LOCK_WAIT
# seconds (lock_timeout; pg_restore's own SQL sets it back to 0 after them), then stop the restore with IN_USE_MARK
# and, as its detail, who holds the tables.
_EMPTY_SCHEMA = """
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
SET LOCAL lock_timeout = '{wait}s';
DO $empty$
DECLARE
    statement text;
    holders text;
BEGIN
    FOR statement IN
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')  -- an extension's own
        ORDER BY c.relkind = 'S', c.relname  -- tables first: their sequences go with them
    LOOP
        EXECUTE statement;
    END LOOP;
EXCEPTION WHEN lock_not_available THEN
    SELECT string_agg(DISTINCT format('%s（%s，%s）', coalesce(nullif(a.application_name, ''), '未命名程序'),
                                      a.usename, coalesce(a.state, '?')), '、')
      INTO holders
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE l.granted AND l.pid <> pg_backend_pid() AND n.nspname = current_schema();
    RAISE EXCEPTION '{mark}' USING DETAIL = coalesce(holders, '?');
END
$empty$;
"""
RESTORE_LOCK_WAIT = 30  # seconds a restore waits for another session's hold on a table before it stops
IN_USE_MARK = "inspect-restore: tables in use"
_IN_USE = ("恢复未完成：数据库中的数据表正被其他连接使用（{holders}），等了 {wait} 秒仍无法替换。数据库没有被改动，已放回的"
           "照片文件可以留着。请先停止 web 服务和调度器（systemctl stop inspect-web inspect-scheduler），结束其他仍连着"
           "这个数据库的程序，然后重新运行 restore。")


# The dump's entries for a schema itself: pg_dump writes them when the schema is not as initdb made it (public dropped
# and made again, a comment changed; PostgreSQL 14 and before always wrote COMMENT ON SCHEMA public), and replayed
# with --clean they DROP, CREATE or COMMENT ON the schema, which only its owner may: a restore by the app's database
# user, who need not own the schema, stopped at "must be owner of schema public". The schema is the database
# administrator's; the restore replaces what is in it.
_SCHEMA_ENTRY = re.compile(rb"^\d+; \d+ \d+ (SCHEMA|COMMENT - SCHEMA|ACL - SCHEMA|SECURITY LABEL - SCHEMA) ")


def _without_schema_entries(dump: Path, env: dict[str, str], into) -> None:
    """pg_restore's --use-list for `dump`, written to the open file `into`: every entry but the schemas' own."""
    pg_restore = pg_tool("pg_restore")
    listed = subprocess.run([pg_restore, "--list", str(dump)], env=env, capture_output=True, check=False)
    if listed.returncode != 0:
        detail = (listed.stderr or listed.stdout).decode("utf-8", "replace").strip()[-2000:]
        raise _tool_failed(pg_restore, listed.returncode, detail, dump)
    for line in listed.stdout.splitlines(keepends=True):
        into.write(b";" + line if _SCHEMA_ENTRY.match(line) else line)
    into.flush()


def _restore_postgres(dump: Path, engine: Engine) -> None:
    """pg_restore's SQL, after _EMPTY_SCHEMA, through psql in one transaction that is committed only when
    pg_restore read the whole dump and psql ran every statement: a failure anywhere changes nothing."""
    conninfo, env = pg_connection(engine.url)
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors, \
            tempfile.NamedTemporaryFile(prefix="restore-list-", suffix=".txt") as entries:
        _without_schema_entries(dump, env, entries)
        reader = subprocess.Popen([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                   f"--use-list={entries.name}", "--file=-", str(dump)],
                                  stdout=subprocess.PIPE, stderr=restore_errors, env=env)
        writer = subprocess.Popen([pg_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                                   f"--dbname={conninfo}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=env)
        try:
            writer.stdin.write(b"BEGIN;\n" + _EMPTY_SCHEMA.format(wait=RESTORE_LOCK_WAIT, mark=IN_USE_MARK).encode())
            shutil.copyfileobj(reader.stdout, writer.stdin, 1 << 20)
            if reader.wait() == 0:
                writer.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:  # psql stopped at an error (ON_ERROR_STOP) and rolled back
            pass
        finally:
            reader.stdout.close()  # pg_restore, if still writing, stops
            try:
                writer.stdin.close()  # without COMMIT: psql ends, and the server rolls the transaction back
            except BrokenPipeError:
                pass
            reader.wait()
            writer.wait()
        for process, errors in ((writer, psql_errors), (reader, restore_errors)):
            if process.returncode != 0:
                errors.seek(0)
                detail = errors.read().decode("utf-8", "replace").strip()[-2000:]
                if IN_USE_MARK in detail:
                    holders = detail.partition("DETAIL:")[2].strip().splitlines()[0:1] or ["?"]
                    raise OpsError(_IN_USE.format(holders=holders[0].strip(), wait=RESTORE_LOCK_WAIT))
                raise _tool_failed(process.args[0], process.returncode, detail, dump)


def _vacuum_analyze(engine: Engine) -> bool:
    """pg_restore brings back rows and indexes, but not the planner's statistics, and no row is marked visible to
    all yet: until autovacuum gets round to every table, plans are guesses and each index-only scan (the lists'
    counts, the dashboard's figures) reads the table's rows as well. The benchmark's 1 M-ticket city, bulk-loaded
    the same way, showed the office's district list in 155 ms instead of 57 before its vacuum. So the app's tables
    are vacuumed and analysed now, while the services are still stopped. False if that failed (the rows are
    restored all the same; autovacuum will get there)."""
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # VACUUM: no transaction
            foreign = foreign_relations(conn)
            names = sorted(name for name in sa_inspect(conn).get_table_names() if name not in foreign)
            if names:
                quote = conn.dialect.identifier_preparer.quote
                conn.execute(text(f"VACUUM (ANALYZE) {', '.join(quote(name) for name in names)}"))
    except SQLAlchemyError:
        return False
    return True


def _revision_problem(manifest: dict, revisions: tuple[Collection[str], Collection[str]] | None) -> str | None:
    """Refusal for a backup made by a newer release than this one: its database's Alembic revision is not among
    this code's migrations, which can neither use nor upgrade it."""
    made = manifest["app"].get("alembic_revision") or []
    if revisions is None or not made:
        return None
    heads, known = revisions
    if all(revision in known for revision in made):
        return None
    return (f"这个备份来自较新的程序版本（其数据库结构版本为 {'、'.join(made)}，本程序的最新版本为 "
            f"{'、'.join(sorted(heads))}），本程序无法使用它：请先部署做这个备份时的程序版本（或更新的版本），再运行 "
            f"restore。数据库和上传目录都没有被改动。")


def restore_backup(src: str | os.PathLike, *, engine: Engine, upload_folder: str | os.PathLike, now: datetime,
                   force: bool = False, revisions: tuple[Collection[str], Collection[str]] | None = None) -> dict:
    """Restore a backup made by create_backup(); returns what was restored. `revisions`: this code's migration
    heads and every revision it knows, to refuse a backup from a newer release and to tell one from an older release
    (`behind`: the restored database's revisions, which the caller then upgrades). Afterwards the documents under
    UPLOAD_FOLDER that the restored database does not name are set aside (files.set_aside)."""
    src = Path(src).resolve()
    upload = Path(upload_folder)
    with _opened(src, upload) as folder:
        manifest = read_manifest(folder, None if folder == src else src)
        database = manifest["database"]
        if database["dialect"] != engine.dialect.name:
            raise OpsError(f"备份来自 {database['dialect']} 数据库，不能恢复到 {engine.dialect.name} 数据库。")
        if problem := _revision_problem(manifest, revisions):
            raise OpsError(problem)
        dump = folder / database["file"]
        try:
            intact = dump.is_file() and sha256_file(dump) == database["sha256"]
        except OSError as error:  # not the service's to read (a copy made as root with umask 077), a failing disk
            raise OpsError(f"无法读取备份中的数据库文件 {dump}（{error}），恢复没有进行，数据库和上传目录都没有被改动。"
                           f"请确认本服务的用户可以读取这份备份（文件的所有者和权限）。") from None
        if not intact:
            raise OpsError(f"备份 {src} 中的数据库文件缺失或校验失败（sha256 不符），备份已损坏。")
        if problem := (_sqlite_backup_problem(dump) if engine.dialect.name == "sqlite" else
                       _pg_restore_problem(dump) or _unreadable_tables_problem(engine)):
            raise OpsError(problem)
        if folder == src and (error := _unreadable_file(folder / manifest["files"]["dir"])):  # (unpacked: ours)
            raise OpsError(_UNREADABLE.format(src=error.filename or folder, error=error))
        views, grants = others_views(engine)
        dropped = "、".join(f"{view.name}（所有者 {view.owner}）" for view in views)
        if not force and not database_is_empty(engine):
            raise OpsError("目标数据库中已有数据，恢复会覆盖全部现有数据；确认覆盖请加 --force。" + (
                f"另外，其他数据库角色建在本系统数据表上的视图 {dropped}会随数据表一起被删除：恢复前把它们的定义存到"
                f"上传目录的 {SET_ASIDE_DIR} 文件夹中，恢复后在其所有者允许时按原定义重建。" if views else ""))
        aside_to = upload / SET_ASIDE_DIR / f"{local(now):%Y%m%d-%H%M%S}"
        views_file = aside_to / "dropped-views.sql" if views or grants else None
        if views_file:  # before anything changes, so that nothing of them is lost whatever happens next
            with engine.connect() as conn:
                user, search_path = conn.execute(text("SELECT current_user, current_setting('search_path')")).one()
            try:
                _write_views_file(views_file, views, grants, user, search_path, now)
            except OSError as error:
                raise OpsError(f"恢复没有进行：无法把将被删除的视图 {dropped or '（无）'} 的定义写到 {views_file}"
                               f"（{error}）。{_UNCHANGED}请确认上传目录所在的磁盘有剩余空间、本服务可以写入它。") from None
        try:
            files = _restore_files(folder / manifest["files"]["dir"], upload, move=folder != src)  # files before rows
            engine.dispose()  # no pooled connection holds locks on what is about to be replaced
            analysed = None
            if engine.dialect.name == "sqlite":
                _restore_sqlite(dump, engine)  # one transaction, as the PostgreSQL restore
            else:
                _restore_postgres(dump, engine)
                _recreate_others_views(engine, views, grants)
                analysed = _vacuum_analyze(engine)
        except Exception as error:
            if not _disk_refused(error):
                raise
            raise OpsError(f"恢复未完成：UPLOAD_FOLDER 或数据库所在的磁盘空间不足或无法写入（{error}）。数据库没有被"
                           f"改动，已复制的照片文件可以留着；清理或扩容磁盘后重新运行 restore 即可。") from None
        engine.dispose()
        with engine.connect() as conn:
            rows = count_rows(conn, foreign_relations(conn))
            aside = set_aside(conn, upload, aside_to)
    differing = {name: {"backup": n, "now": rows.get(name)} for name, n in database["rows"].items()
                 if rows.get(name) != n}
    made = manifest["app"].get("alembic_revision") or []
    behind = made if revisions is not None and made and set(made) != set(revisions[0]) else []
    return {"created_at": manifest["created_at"], "files": files, "rows": rows, "differing": differing,
            "schema_matches": manifest["app"]["schema_fingerprint"] == schema_fingerprint(), "analysed": analysed,
            "behind": behind, "set_aside": aside, "set_aside_to": aside_to, "views": views, "grants": grants,
            "views_file": views_file}
