"""Item 8 of issue 11, for the code before the fix (8f8bd92): the opening of two tests of
tests/test_background_jobs.py, up to the first answer (202 and a job), since 8f8bd92 has no jobs to follow further.
The thresholds are set the same way (app.config; 8f8bd92 ignores the keys, which is the point). On 8f8bd92 each
request does all the work itself and answers 200: a 300,000-ticket export or a 300-account import held a worker
past its timeout.
"""
from __future__ import annotations

import io

from office_helpers import xlsx_bytes

ACCOUNT_HEAD = ["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"]


def many_accounts(count: int) -> bytes:
    return xlsx_bytes([ACCOUNT_HEAD] + [[f"jda_{n:03d}", f"李{n}", "责任单位", "JDA", "", "", ""]
                                        for n in range(count)])


def test_big_api_export_answers_202_with_a_job(api, app, city, make_ticket):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 2
    for point in (city.ON_A, city.ON_A, city.ON_B):
        make_ticket(point=point)
    response = api.get("/api/v1/tickets/export.xlsx?status=assigned", city.admin)
    assert response.status_code == 202, response.status_code
    assert response.get_json()["job"]["status"] == "queued"


def test_a_big_api_import_is_a_job(api, app, city):
    app.config["IMPORT_INLINE_MAX_NEW_ACCOUNTS"] = 5
    form = {"file": (io.BytesIO(many_accounts(8)), "a.xlsx")}
    response = api.post("/api/v1/admin/import/accounts", city.admin, data=form, content_type="multipart/form-data")
    assert response.status_code == 202, (response.status_code, response.get_json())
    assert "job" in response.get_json()
