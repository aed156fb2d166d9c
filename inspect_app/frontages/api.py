"""门前四包 in the HTTP API v1: the register (scoped like the pages), one frontage with its problems and its
整改通知书, the repeat offenders, giving a notice. Importing: /api/v1/admin/import/frontages (office/api.py)."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..common.timeutil import isoformat
from ..http import int_arg, json_body, now
from ..office import downloads
from ..policy import EVERYONE, REGISTER_KEEPERS, requires
from ..tickets.serialize import ticket_dict
from . import notices, services

bp = api_blueprint("api_frontages", __name__)


def frontage_dict(frontage, recent: int | None = None) -> dict:
    result = {"id": frontage.id, "code": frontage.code, "name": frontage.name, "kind": frontage.kind,
              "address": frontage.address,
              "street_unit": {"id": frontage.street_unit.id, "name": frontage.street_unit.name},
              "segment": {"id": frontage.segment.id, "name": frontage.segment.name} if frontage.segment_id else None,
              # signed with the street it is with now; a shop moved since has signed none with its new street
              "signed_on": frontage.signed_here_on.isoformat() if frontage.signed else None,
              "signed_before": {"signed_on": frontage.signed_on.isoformat(),
                                "street_unit": {"id": frontage.signed_with.id, "name": frontage.signed_with.name}}
              if frontage.signed_before and frontage.signed_with is not None else None,
              "contact_person": frontage.contact_person, "contact_phone": frontage.contact_phone,
              "active": frontage.active}
    if recent is not None:
        result["recent_problems"] = recent
    return result


@bp.get("/frontages")
@requires(EVERYONE)
def index():
    page = int_arg(request.args, "page", high=100_000, default=1)
    per_page = int_arg(request.args, "per_page", high=200, default=50)
    rows, total = services.list_frontages(current(), services.register_filter(current(), request.args), page=page,
                                          per_page=per_page)
    counts = services.recent_counts([f.id for f in rows], now())
    return jsonify({"items": [frontage_dict(f, counts.get(f.id, 0)) for f in rows], "total": total, "page": page,
                    "per_page": per_page})


@bp.get("/frontages/export.<any(xlsx, csv):fmt>")
@requires(EVERYONE)
def export(fmt: str):
    """The register with the list's filters as .xlsx or .csv (a street office its own street's shops)."""
    services.refuse_no_register(current())
    moment = now()
    rows = services.export_rows(current(), services.register_filter(current(), request.args), moment)
    return downloads.rows_sheet(services.EXPORT_LABEL, fmt, request.args.get("encoding"), moment,
                                services.export_columns(), rows, services.EXPORT_WIDTHS)


@bp.get("/frontages/offenders")
@requires(EVERYONE)
def offenders():
    repeat, days = services.repeat_rule()
    return jsonify({"rule": {"problems": repeat, "days": days},
                    "items": [{"frontage": frontage_dict(o.frontage), "problems": o.problems,
                               "last_at": isoformat(o.last_at), "open": o.open,
                               "street_unit": {"id": o.street_unit.id, "name": o.street_unit.name},
                               # its address under that street: a moved shop's where it was then
                               "address": o.address}
                              for o in services.repeat_offenders(current(), now())]})


@bp.get("/frontages/<int:frontage_id>")
@requires(EVERYONE)
def show(frontage_id: int):
    frontage = services.get(current(), frontage_id)
    moment = now()
    street = services.record_street(current(), frontage)  # a street the shop was with before: its own record
    body = frontage_dict(frontage, services.recent_counts([frontage.id], moment, street).get(frontage.id, 0))
    # a street office the shop moved away from: the shop as it was under that street (its offenders list's address)
    former = services.former_record(current(), frontage)
    body["former"] = {"street_unit": {"id": former.street.id, "name": former.street.name},
                      "address": former.address} if former is not None else None
    body["tickets"] = [ticket_dict(t, moment) for t in services.history(current(), frontage)]
    body["notices"] = [notice_dict(n) for n in notices.notices_of(current(), frontage)]
    return jsonify(body)


def notice_dict(notice) -> dict:
    return {"id": notice.id, "number": notice.number, "street_unit": notice.street_unit.name,
            "due_on": notice.due_on.isoformat(), "issued_at": isoformat(notice.issued_at),
            "issued_by": notice.issuer.username if notice.issuer else None,
            "tickets": len(notices.ticket_ids(notice)),
            "delivered_on": notice.delivered_on.isoformat() if notice.delivered_on else None,
            "received_by": notice.received_by or None,
            "pdf": url_for("frontages.notice_pdf", notice_id=notice.id),
            # what it printed, kept as it was given (the register, the street office or a category changed since)
            "addressee": notice.addressee, "addressee_kind": notice.addressee_kind, "address": notice.address,
            "frontage_code": notice.frontage_code,
            "signed_on": notice.signed_on.isoformat() if notice.signed_on else None,
            "issuer_name": notice.issuer_name, "contact_person": notice.contact_person,
            "contact_phone": notice.contact_phone,
            "problems": [{"ticket_id": p["id"], "number": p["number"], "reported_at": p["reported_at"],
                          "category": p["category"], "place": p["place"], "description": p["description"]}
                         for p in notices.problems_of(notice)]}


@bp.post("/frontages/<int:frontage_id>/notices")
@requires(REGISTER_KEEPERS)
def notice_issue(frontage_id: int):
    """{"due_on"} → 201 a 门前四包责任整改通知书 for the frontage's problems open now (its street office, the
    office)."""
    frontage = services.get(current(), frontage_id)
    return jsonify(notice_dict(notices.issue(current(), frontage, json_body(), now()))), 201


@bp.post("/frontages/notices/<int:notice_id>/delivered")
@requires(REGISTER_KEEPERS)
def notice_delivered(notice_id: int):
    """{"delivered_on", "received_by"} → 200 the notice with its 送达 recorded."""
    return jsonify(notice_dict(notices.deliver(current(), notices.get(current(), notice_id), json_body(), now())))
