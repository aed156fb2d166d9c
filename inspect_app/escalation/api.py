"""Letters and proposals in the HTTP API v1 (API.md "Letters"): list, read, PDF (a draft's says 草稿 and has no
number), compile a draft, change it, discard it, 签发, 签收, written replies, 销号; the open 督办建议."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.ids import MAX_ID
from ..http import flag_arg, form_body, json_body, now
from ..policy import EVERYONE, LEADERSHIP, OFFICE, UNITS, requires
from . import actions, compose, inputs, proposals, replies, services
from .files import letter_pdf_response, reply_file_response
from .serialize import letter_dict, proposal_dict, reply_dict

bp = api_blueprint("api_letters", __name__)


def _letter(letter_id: int):
    return services.get_letter(current(), letter_id)


def _answer(letter, status: int = 200):
    return jsonify(letter_dict(letter, current(), detail=True, now=now())), status


@bp.get("/letters")
@requires(EVERYONE)
def index():
    flt = services.parse_filter(request.args)
    letters, _ = services.list_letters(current(), flt, now(), paged=False)
    moment, listed = now(), services.listed_units(current(), flt)
    return jsonify([letter_dict(letter, current(), now=moment, listed=listed) for letter in letters])


@bp.post("/letters")
@requires(OFFICE)
def create():
    letter = compose.create_draft(current(), now(), json_body())
    return _answer(letter, 201)


@bp.get("/letters/<int:letter_id>")
@requires(EVERYONE)
def show(letter_id: int):
    return _answer(_letter(letter_id))


@bp.patch("/letters/<int:letter_id>")
@requires(OFFICE)
def update(letter_id: int):
    letter = _letter(letter_id)
    actions.perform("edit", current(), letter, now(), json_body())
    return _answer(letter)


@bp.delete("/letters/<int:letter_id>")
@requires(OFFICE)
def discard(letter_id: int):
    actions.perform("discard", current(), _letter(letter_id), now(), {})
    return "", 204


@bp.get("/letters/<int:letter_id>/pdf")
@requires(EVERYONE)
def pdf(letter_id: int):
    return letter_pdf_response(_letter(letter_id), now())


@bp.post("/letters/<int:letter_id>/sign")
@requires(services.signers)
def sign(letter_id: int):
    letter = _letter(letter_id)
    actions.perform("sign", current(), letter, now(), json_body())
    return _answer(letter)


@bp.post("/letters/<int:letter_id>/return")
@requires(services.signers)
def return_draft(letter_id: int):
    """退回修改: `{"note", "revision"?}`; the draft stays a draft, out of the signers' queue until revised."""
    letter = _letter(letter_id)
    actions.perform("return", current(), letter, now(), json_body())
    return _answer(letter)


@bp.post("/letters/<int:letter_id>/acknowledge")
@requires(UNITS)
def acknowledge(letter_id: int):
    letter = _letter(letter_id)
    actions.perform("acknowledge", current(), letter, now(), {})
    return _answer(letter)


@bp.post("/letters/<int:letter_id>/reply")
@requires(UNITS)
def reply(letter_id: int):
    letter = _letter(letter_id)
    answer = actions.perform("reply", current(), letter, now(), form_body(), request.files)
    return jsonify({**reply_dict(answer), "letter": letter_dict(letter, current(), now=now())}), 201


@bp.get("/letters/<int:letter_id>/replies")
@requires(EVERYONE)
def reply_list(letter_id: int):
    letter = _letter(letter_id)
    return jsonify([reply_dict(r) for r in replies.replies_for(current(), letter)])


@bp.get("/letters/<int:letter_id>/files/<int:file_id>")
@requires(EVERYONE)
def reply_file(letter_id: int, file_id: int):
    return reply_file_response(current(), _letter(letter_id), file_id, thumb=flag_arg(request.args, "thumb"))


@bp.post("/letters/<int:letter_id>/items/<int:ticket_id>/clear")
@requires(OFFICE)
def clear(letter_id: int, ticket_id: int):
    letter = _letter(letter_id)
    actions.perform("clear", current(), letter, now(), json_body(), ticket_id=ticket_id)
    return _answer(letter)


@bp.get("/escalation/proposals")
@requires(LEADERSHIP)
def proposal_list():
    unit = inputs.integer(request.args.get("unit_id"), "参数 unit_id", 1, MAX_ID, "invalid_unit_id")
    moment = now()
    found = proposals.open_proposals(moment, unit_id=unit)
    held = proposals.drafts_holding(found)
    return jsonify([proposal_dict(p, moment, held.get(p.id)) for p in found])
