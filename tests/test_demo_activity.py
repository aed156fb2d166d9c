"""The demo's six weeks of activity: believable, complete, self-contained and loaded only once."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from inspect_app.demo.activity import seed_activity, summary_line
from inspect_app.demo.seed import seed_demo
from inspect_app.escalation.models import Letter
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.photos.storage import PhotoStore
from inspect_app.rankings.models import Ranking
from inspect_app.tickets.models import Ticket, TicketEvent


def test_demo_activity(app, now):
    seed_demo(now)
    result = seed_activity(now, tickets=60)

    statuses = dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    assert result["tickets"] == sum(statuses.values()) >= 55
    assert {"closed", "assigned", "cancelled"} <= set(statuses), statuses
    assert len(statuses) >= 4, statuses
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.deadline < now,
                                                                 Ticket.status == "assigned")) >= 1
    assert db.session.scalar(select(func.max(Ticket.reported_at))) <= now
    assert db.session.scalar(select(func.min(Ticket.reported_at))) >= now - timedelta(days=43)
    actions = set(db.session.scalars(select(TicketEvent.action).distinct()))
    assert {"create", "dispatch", "rectify", "approve", "escalate"} <= actions, actions

    letters = list(db.session.scalars(select(Letter)))
    assert letters and result["letters"] == len(letters)
    assert all(letter.issued_at <= now for letter in letters)
    assert db.session.scalar(select(func.count(Ranking.id))) >= 1
    assert "问题" in summary_line(result)

    # No orphan files: every stored photo file has its row, and every row its files.
    store = PhotoStore(app.config["UPLOAD_FOLDER"])
    keys = set(store.iter_keys())
    rows = set(db.session.scalars(select(Photo.key)))
    assert keys == rows and rows
    assert all(store.path(k).is_file() and store.path(k, thumb=True).is_file() for k in rows)
    upload = Path(app.config["UPLOAD_FOLDER"])
    for path in upload.rglob("*"):
        if path.is_file() and path.suffix == ".jpg":
            assert path.name.removesuffix(".jpg").removesuffix("_t").removesuffix("_st") in rows, path

    # A second run adds nothing.
    files = sorted(p for p in upload.rglob("*") if p.is_file())
    counts = (db.session.scalar(select(func.count(Ticket.id))), len(letters),
              db.session.scalar(select(func.count(Ranking.id))))
    again = seed_activity(now, tickets=60)
    assert again["tickets"] == 0
    assert (db.session.scalar(select(func.count(Ticket.id))), db.session.scalar(select(func.count(Letter.id))),
            db.session.scalar(select(func.count(Ranking.id)))) == counts
    assert sorted(p for p in upload.rglob("*") if p.is_file()) == files
