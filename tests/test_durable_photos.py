"""Photos are on disk before the transaction that names them commits (boundary.commit_waits_for): a request writes
its files at once and hands their fsyncs to a helper thread, goes on with its rows meanwhile, and its commit waits
for the disk. A failed fsync fails the request with nothing kept; a rollback waits for the thread, then removes
the files."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from conftest import City, file_tuple, upload_files
from test_photo_processing import processed

from inspect_app.extensions import db
from inspect_app.photos import storage
from inspect_app.photos.storage import PhotoStore
from inspect_app.tickets.models import Ticket


def file_report(api, user, **headers):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "description": "墙上小广告",
            "photos": [file_tuple("Canon_40D.jpg")]}
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data", headers=headers)


@pytest.fixture
def slow_fsyncs(monkeypatch):
    """storage.fsync_files taking 0.3 s (a busy disk), run for real after the wait; [(paths, folder, ended), ...]."""
    calls: list[tuple[list[Path], Path, float]] = []
    real = storage.fsync_files

    def slow(paths, folder):
        assert threading.current_thread() is not threading.main_thread()  # the request's thread went on meanwhile
        time.sleep(0.3)
        real(paths, folder)
        calls.append((list(paths), folder, time.monotonic()))
    monkeypatch.setattr(storage, "fsync_files", slow)
    return calls


@pytest.fixture
def commits():
    """When the app's engine committed (monotonic clock)."""
    seen: list[float] = []

    def committed(conn):
        seen.append(time.monotonic())
    event.listen(db.engine, "commit", committed)
    yield seen
    event.remove(db.engine, "commit", committed)


def test_a_filing_commits_only_once_its_photo_files_are_on_disk(api, city, uploads, slow_fsyncs, commits):
    api.token(city.inspector.username)
    db.session.commit()
    commits.clear()
    response = file_report(api, city.inspector)
    assert response.status_code == 201, response.get_json()
    [(paths, folder, synced)] = slow_fsyncs
    assert sorted(paths) == upload_files(uploads) and len(paths) == 3  # the photo, its thumbnail, the stamped copy
    assert all(path.parent == folder for path in paths)
    assert commits and commits[-1] > synced  # the ticket's commit came after the files were durable


def test_a_failed_fsync_fails_the_filing_and_keeps_nothing(api, city, uploads, monkeypatch):
    api.token(city.inspector.username)
    db.session.commit()
    tickets = db.session.query(Ticket).count()

    def broken_disk(paths, folder):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(storage, "fsync_files", broken_disk)
    response = file_report(api, city.inspector)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "storage_failed" and error["message"].startswith("文件未能保存到服务器磁盘")
    db.session.rollback()
    assert db.session.query(Ticket).count() == tickets
    assert upload_files(uploads) == []  # no orphan file


def test_a_rollback_waits_for_the_fsyncs_then_removes_the_files(app, uploads, slow_fsyncs):
    from inspect_app.photos.service import save_files

    with app.app_context():
        key = save_files(processed("Canon_40D.jpg"))
        assert len(upload_files(uploads)) == 2 and not slow_fsyncs  # written at once; the fsyncs still running
        db.session.rollback()
        assert len(slow_fsyncs) == 1  # waited for
        assert upload_files(uploads) == [] and key


def test_a_store_with_sync_leaves_the_fsyncs_to_it(tmp_path: Path, monkeypatch) -> None:
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(storage.os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    handed: list[tuple[list[Path], Path]] = []
    store = PhotoStore(tmp_path, sync=lambda paths, folder: handed.append((list(paths), folder)))
    key = store.save(processed("Canon_40D.jpg"), stamp_later=True)
    assert handed == []  # the three files go to `sync` together, once the stamped copy is there
    store.add_stamped(key, b"stamped")
    assert fsyncs == []
    assert handed == [([store.path(key), store.path(key, thumb=True), store.path(key, stamped=True)],
                       store.path(key).parent)]
    assert store.path(key, stamped=True).read_bytes() == b"stamped"
    storage.fsync_files(*handed[0])
    assert len(fsyncs) == 4  # each file, then their folder


def test_a_store_without_sync_fsyncs_before_it_returns(tmp_path: Path, monkeypatch) -> None:
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(storage.os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    PhotoStore(tmp_path).save(processed("Canon_40D.jpg"))
    assert len(fsyncs) == 3  # the photo, the thumbnail, their folder


def test_a_store_whose_sync_cannot_start_keeps_no_file(tmp_path: Path) -> None:
    def refused(paths, folder):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    with pytest.raises(RuntimeError):
        PhotoStore(tmp_path, sync=refused).save(processed("Canon_40D.jpg"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
