"""Letters in the HTTP API v1: list, read, PDF, acknowledge (签收)."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..http import now, pdf_file
from ..policy import EVERYONE, UNITS, requires
from . import services
from .serialize import letter_dict
from .sweep import ensure_pdf

bp = api_blueprint("api_letters", __name__)


@bp.get("/letters")
@requires(EVERYONE)
def index():
    flt = services.parse_filter(request.args)
    letters, _ = services.list_letters(current(), flt, paged=False)
    return jsonify([letter_dict(letter) for letter in letters])


@bp.get("/letters/<int:letter_id>")
@requires(EVERYONE)
def show(letter_id: int):
    return jsonify(letter_dict(services.get_letter(current(), letter_id), detail=True))


@bp.get("/letters/<int:letter_id>/pdf")
@requires(EVERYONE)
def pdf(letter_id: int):
    letter = services.get_letter(current(), letter_id)
    return pdf_file(ensure_pdf(letter, now()), f"{letter.number}.pdf")


@bp.post("/letters/<int:letter_id>/acknowledge")
@requires(UNITS)
def acknowledge(letter_id: int):
    user = current()
    letter = services.acknowledge(user, services.get_letter(user, letter_id), now())
    return jsonify(letter_dict(letter, detail=True))
