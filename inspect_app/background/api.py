"""Background jobs in the HTTP API v1 (see docs/api.md, "Background jobs"): the caller's own jobs only."""
from __future__ import annotations

from flask import jsonify, url_for

from ..api.common import api_blueprint, current
from ..policy import EVERYONE, requires
from . import service
from .web import send_result

bp = api_blueprint("api_jobs", __name__)


def job_json(job) -> dict:
    return service.as_json(job, url_for("api_jobs.show", job_id=job.id),
                           url_for("api_jobs.download", job_id=job.id))


@bp.get("/jobs")
@requires(EVERYONE)
def index():
    return jsonify({"items": [job_json(job) for job in service.recent_jobs(current())]})


@bp.get("/jobs/<int:job_id>")
@requires(EVERYONE)
def show(job_id: int):
    return jsonify({"job": job_json(service.job_for(current(), job_id))})


@bp.get("/jobs/<int:job_id>/download")
@requires(EVERYONE)
def download(job_id: int):
    return send_result(service.job_for(current(), job_id))
