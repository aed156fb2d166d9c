"""Photo files on disk under random keys: root/<key[:2]>/<key>.jpg and <key>_t.jpg (thumbnail), and the stamped
display copy <key>_st.jpg (thumbnail size, for documents and lists; see photos/stamp.py).

Keys are 32 lowercase hex characters and are validated before any path is built, so a key from a URL can never
point outside the root. Uploaded file names are never used.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .processing import ProcessedPhoto

__all__ = ["PhotoStore", "fsync_files", "fsync_in_background", "is_valid_key"]

_KEY_RE = re.compile(r"[0-9a-f]{32}")
_FILE_RE = re.compile(r"([0-9a-f]{32})(?:_t|_st)?\.jpg")
_SHARD_RE = re.compile(r"[0-9a-f]{2}")
_FILE_MODE = 0o644  # mkstemp makes 0600; a web server serving the folder directly must be able to read them


def is_valid_key(key: object) -> bool:
    return isinstance(key, str) and _KEY_RE.fullmatch(key) is not None


class PhotoStore:
    def __init__(self, root: str | os.PathLike[str],
                 sync: Callable[[Sequence[Path], Path], None] | None = None) -> None:
        """`sync(paths, folder)`, if given, makes what save() wrote durable (the files' data, then their folder's
        entries) in place of save()'s own fsyncs, which then return at once: photos/service.py hands them to a
        helper thread that the transaction's commit waits for."""
        self.root = Path(root)
        self.sync = sync

    def save(self, photo: ProcessedPhoto, *, stamp_later: bool = False) -> str:
        """Write the main image and the thumbnail; returns the new key. Either both are stored or neither. Each
        file appears whole under its name or not at all; without `sync` they are durable when this returns.
        `stamp_later`: a stamped display copy follows with add_stamped(), which hands all three files to `sync`
        together (filing stamps the ticket's number after its photo is stored)."""
        key = secrets.token_hex(16)
        while self.exists(key):  # 128 random bits: never in practice, but never overwrite either
            key = secrets.token_hex(16)
        main = self.path(key)
        main.parent.mkdir(parents=True, exist_ok=True)
        files = [(main, photo.jpeg), (self.path(key, thumb=True), photo.thumb)]
        written = []
        try:
            for path, data in files:
                _write_atomic(path, data, sync_dir=False, sync=self.sync is None)
                written.append(path)
            if self.sync is not None and not stamp_later:
                self.sync(written, main.parent)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        if self.sync is None:
            _fsync_dir(main.parent)  # every rename made durable at once: the files share the shard folder
        return key

    def add_stamped(self, key: str, stamped: bytes) -> None:
        """Write the stamped copy of a key saved with stamp_later, then make its three files durable together as
        save() does."""
        path = self.path(key, stamped=True)
        try:
            _write_atomic(path, stamped, sync_dir=self.sync is None, sync=self.sync is None)
            if self.sync is not None:
                self.sync([self.path(key), self.path(key, thumb=True), path], path.parent)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def path(self, key: str, thumb: bool = False, stamped: bool = False) -> Path:
        """The clean photo, its thumbnail, or (stamped) the stamped display copy."""
        if not is_valid_key(key):
            raise ValueError(f"invalid photo key: {key!r}")
        suffix = "_st" if stamped else "_t" if thumb else ""
        return self.root / key[:2] / f"{key}{suffix}.jpg"

    def display_path(self, key: str) -> Path:
        """The stamped copy for documents and lists, or the clean thumbnail for a photo stored before stamps."""
        stamped = self.path(key, stamped=True)
        return stamped if stamped.is_file() else self.path(key, thumb=True)

    def delete(self, key: str) -> None:
        """Remove every file of the key; missing files are fine (deleting twice is not an error)."""
        self.path(key, stamped=True).unlink(missing_ok=True)
        self.path(key, thumb=True).unlink(missing_ok=True)
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def iter_keys(self) -> Iterator[str]:
        """Every key with a main image or a thumbnail on disk, so an orphan sweep also finds half-deleted ones."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not (_SHARD_RE.fullmatch(shard.name) and shard.is_dir()):
                continue
            keys = {m.group(1) for name in os.listdir(shard) if (m := _FILE_RE.fullmatch(name))}
            yield from sorted(k for k in keys if k.startswith(shard.name))


def fsync_files(paths: Sequence[Path], folder: Path) -> None:
    """Make files written without fsync durable: each file's data, then the folder holding their names."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(folder)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def fsync_in_background(paths: Sequence[Path], folder: Path) -> Future:
    """fsync_files in a helper thread; returns at once. An fsync waits on the disk with the GIL released, so the
    caller's own work (a ticket's rows, the stamp) goes on meanwhile instead of a sync worker idling on each one."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="photo-fsync")
        return _pool.submit(fsync_files, list(paths), folder)


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of its parent's threads: it starts its own pool on first use


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_pool)


def _write_atomic(path: Path, data: bytes, sync_dir: bool = True, sync: bool = True) -> None:
    """Temp file in the same directory, fsync, os.replace: readers see the whole file or none of it.
    `sync_dir=False` leaves the directory's fsync (the rename's durability) to the caller; `sync=False` the file's
    (fsync_files, before anything that names the file is committed)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); not possible or needed on Windows."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
