"""后台任务 pages: a job's progress (polled by a small script; the page also refreshes itself without it),
its download, and the user's recent jobs. Every signed-in role; each sees only its own jobs (404 otherwise)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..http import content_disposition
from ..policy import EVERYONE, requires
from . import service

bp = Blueprint("background", __name__, url_prefix="/jobs", static_folder="static", static_url_path="/static")


def attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition("attachment", filename, "download")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_result(job) -> Response:
    """The finished job's file, streamed from disk; a secret one is removed once sent."""
    path = service.result_path(job)
    size = path.stat().st_size
    handle = path.open("rb")
    if job.secret:  # the open handle keeps the bytes readable after the name is gone
        service.consume_secret(job)
        db.session.commit()

    def chunks():
        with handle:
            while chunk := handle.read(64 * 1024):
                yield chunk

    response = Response(chunks(), content_type=job.result_type or "application/octet-stream")
    response.call_on_close(handle.close)  # also when the client goes away half-way
    response.headers["Content-Length"] = str(size)
    return attachment(response, job.result_name or "download")


@bp.get("/")
@requires(EVERYONE)
def index():
    return render_template("background/jobs.html", jobs=service.recent_jobs(current_user))


@bp.get("/<int:job_id>")
@requires(EVERYONE)
def show(job_id: int):
    job = service.job_for(current_user, job_id)
    return render_template("background/job.html", job=job,
                           status_url=url_for(".status", job_id=job.id),
                           download_url=url_for(".download", job_id=job.id))


@bp.get("/<int:job_id>.json")
@requires(EVERYONE)
def status(job_id: int):
    job = service.job_for(current_user, job_id)
    return jsonify({"job": service.as_json(job, url_for(".show", job_id=job.id),
                                           url_for(".download", job_id=job.id))})


@bp.get("/<int:job_id>/download")
@requires(EVERYONE)
def download(job_id: int):
    return send_result(service.job_for(current_user, job_id))
