"""How many photo decodes run at once: per user across the host's worker processes, and per process.

Decoding is the one thing a request can make expensive with a small upload. Each request that decodes photos
holds one of its user's PHOTO_DECODES_PER_USER slots (OS file locks in a shared folder, so every gunicorn worker
of the host sees them, and a killed worker's slot is freed by the kernel) and one of the process's
PHOTO_DECODES_PER_PROCESS (a semaphore). Over either, the request waits briefly (PHOTO_DECODE_WAIT_SECONDS), then
is refused: 429 for the user (one account cannot occupy every worker), 503 for the process.

Order: the user's slot first, the process's second, so a request never holds process capacity while it waits for
its own user's.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..common.errors import ServiceError

__all__ = ["DecodeGate", "default_lock_dir"]

_POLL_SECONDS = 0.05


def default_lock_dir(instance_path: str) -> Path:
    """Beside the other cross-process locks (locks.py): the instance folder, shared by every worker of a host."""
    return Path(instance_path) / "photo-locks"


def user_busy() -> ServiceError:
    return ServiceError("您有其他照片正在处理，请等上一次上传完成后再试。", code="photos_busy", status=429)


def server_busy() -> ServiceError:
    return ServiceError("服务器正忙于处理其他照片，请稍后重试。", code="server_busy", status=503)


class DecodeGate:
    def __init__(self, lock_dir: str | Path, per_user: int, per_process: int, wait_seconds: float) -> None:
        self.lock_dir = Path(lock_dir)
        self.per_user = max(1, per_user)
        self.wait_seconds = max(0.0, wait_seconds)
        self._process = threading.BoundedSemaphore(max(1, per_process))

    @contextmanager
    def hold(self, user_key: str | None) -> Iterator[None]:
        """Hold a decode slot for `user_key` (None: no per-user bound) and one of this process's, or raise."""
        deadline = time.monotonic() + self.wait_seconds
        lock = self._user_slot(user_key, deadline) if user_key is not None else None
        try:
            if not self._process.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise server_busy()
            try:
                yield
            finally:
                self._process.release()
        finally:
            if lock is not None:
                lock.release()

    def slot_paths(self, user_key: str) -> list[Path]:
        """The lock files of a user's slots (named by a hash: user keys never become path parts)."""
        safe = hashlib.sha256(user_key.encode("utf-8")).hexdigest()[:24]
        return [self.lock_dir / f"user-{safe}.{slot}.lock" for slot in range(self.per_user)]

    def _user_slot(self, user_key: str, deadline: float) -> FileLock:
        paths = self.slot_paths(user_key)
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        while True:
            for path in paths:
                # thread_local=False: the slot is released by whichever thread ends the request
                lock = FileLock(path, thread_local=False)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    continue
                return lock
            if time.monotonic() >= deadline:
                raise user_busy()
            time.sleep(_POLL_SECONDS)
