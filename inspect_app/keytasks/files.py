"""Serving a report's files to the people who may read the task (pages and the API)."""
from __future__ import annotations

from ..common.errors import NotFound
from ..escalation.files import MISSING, send_row
from ..escalation.models import EscalationFile
from ..extensions import db
from .models import KeyTask, KeyTaskReport


def report_file_response(task: KeyTask, file_id: int, thumb: bool = False):
    """A file of one of the task's reports; the caller has checked the user may see the task."""
    row = db.session.get(EscalationFile, file_id)
    report = db.session.get(KeyTaskReport, row.key_task_report_id) if row is not None and row.key_task_report_id \
        else None
    if report is None or report.task_id != task.id:
        raise NotFound(MISSING)
    return send_row(row, thumb)
