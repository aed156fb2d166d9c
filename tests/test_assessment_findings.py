"""What the office decides on a round's findings afterwards: a ticket voided as 误判 or moved by a 退单, a site's
results withdrawn (撤回) to be scored again; and scores rounded once."""
from __future__ import annotations

from inspect_app.extensions import db

import test_assessment
from test_assessment_qa import pdf_text, submit_all

create, world = test_assessment.create, test_assessment.world  # its round helper and its fixture, shared


def _lanes(api, city, count=2, bj01=1, **kw):
    """A round of `count` lanes in 江城区 (甲街道 answers for them), the first `bj01` failing BJ-01 (2 points, 属地),
    the others BJ-02 (1 point), all submitted."""
    kw.setdefault("inspectors", (city.inspector,))
    body = test_assessment.round_body(per_kind={"背街小巷": count}, **kw)
    body["draw"]["districts"] = ["江城区"]
    response = api.post("/api/v1/rounds", city.admin, json=body)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    submit_all(api, city, body["id"], body["sites"][:bj01], fail=("BJ-01",))
    submit_all(api, city, body["id"], body["sites"][bj01:], fail=("BJ-02",))
    return body


def _unit_row(data, unit_id):
    return next((u for u in data["by_unit"] if u["unit_id"] == unit_id), None)


# ----------------------------------------------------------------------------- rounding once

def test_scores_are_rounded_once(api, browser, city, world, tmp_path):
    """98, 98 and 98.14: a mean of 98.0467, which is 98.0; rounded to hundredths first (98.05), it was printed
    98.1. 甲街道, answering for the three lanes, loses 5.86 ÷ 3 = 1.9533 points: 98.0 too."""
    from inspect_app.assessment.models import ChecklistItem
    db.session.scalar(db.select(ChecklistItem).where(ChecklistItem.code == "BJ-02")).points = 1.86
    db.session.commit()
    round_id = _lanes(api, city, count=3, bj01=2)["id"]
    data = api.get(f"/api/v1/rounds/{round_id}/scores", city.admin).get_json()
    assert sorted(s["score"] for s in data["sites"]) == [98.0, 98.0, 98.14]
    assert data["overall"]["score"] == 98.0 and data["by_kind"]["背街小巷"]["score"] == 98.0
    assert data["by_district"]["江城区"]["score"] == 98.0
    assert _unit_row(data, city.street_a.id)["score"] == 98.0
    admin = browser(city.admin)
    page = admin.get(f"/assessment/rounds/{round_id}/scores").get_data(as_text=True)
    assert "<b>98.0</b>" in page and '<td data-label="平均得分">98.0</td>' in page
    assert '<td data-label="得分">98.0</td>' in page  # 甲街道's row (the lane at 98.14 reads 98.1)
    board = admin.get("/dashboard/").get_data(as_text=True)
    assert ">98.0</a>" in board and "98.1" not in board
    text = pdf_text(admin.get(f"/assessment/rounds/{round_id}/bulletin.pdf").data, tmp_path)
    assert "平均得分98.0分" in text and "背街小巷398.0" in text and "甲街道办事处3" in text
    assert "甲街道办事处335.8698.0" in text
