"""A code is one code in any letter case (common/codes.py), a username one name (auth/names.py), and the database
says so too (migration 0131: unique indexes on upper(code), lower(username)). QA on both databases: two saves at
the same moment, QR00 and qr00 (or qbrace00 and QBRACE00), both passed the service's check and both were stored,
on PostgreSQL every time; the office's own units export then would not import. Now the second is refused with the
message it gets a moment later (common/unique.py), never a 500."""
from __future__ import annotations

import pytest
from conftest import saved_meanwhile
from sqlalchemy import func, select

from inspect_app.auth.models import User
from inspect_app.common.errors import ServiceError
from inspect_app.extensions import db
from inspect_app.frontages.models import Frontage
from inspect_app.keytasks.models import KeyTask
from inspect_app.sites.models import Site, SiteKind
from inspect_app.units.models import Category, Unit


def _cases(city, now):
    """(module, the service's check, save(code), the table's code column, the refusal the second save gets)."""
    from inspect_app.auth import services as auth
    from inspect_app.frontages import services as frontages
    from inspect_app.keytasks import services as keytasks
    from inspect_app.office import accounts, reference
    from inspect_app.sites import services as sites

    kind = SiteKind(name="农贸市场")
    db.session.add(kind)
    db.session.commit()
    return {
        "units": (reference, "_refuse_unit_taken",
                  lambda code: reference.save_unit({"code": code, "name": f"竞态单位{code}", "kind": "市直单位"}, now),
                  Unit.code, "单位编码“QR00”已被其他单位使用（qr00，仅大小写不同）。"),
        "accounts": (auth, "refuse_username_taken",
                     lambda code: accounts.create_account({"username": code, "display_name": "竞态", "role": "inspector",
                                                           "password": "Abcdef123456!x"}, now),
                     User.username, "用户名已存在。"),
        "categories": (reference, "_refuse_category_taken",
                       lambda code: reference.save_category({"code": code, "name": f"竞态类别{code}", "group": "街面秩序",
                                                             "deadline_kind": "hours", "deadline_value": "24"}),
                       Category.code, "类别编码“QR00”已存在（qr00，仅大小写不同）。"),
        "sites": (sites, "_refuse_code_taken",
                  lambda code: sites.save_site({"code": code, "name": f"竞态点位{code}", "kind": str(kind.id),
                                                "district": "江城区", "territorial_unit": str(city.street_a.id),
                                                "point": "112.93,28.23", "coord_system": "WGS84"}, now),
                  Site.code, "点位编码“QR00”已被“竞态点位qr00”使用（qr00，仅大小写不同）。"),
        "frontages": (frontages, "_refuse_code_taken",
                      lambda code: frontages.save(city.admin, {"code": code, "name": f"竞态商户{code}", "kind": "商户",
                                                               "address": "东风路1号",
                                                               "street_unit_id": str(city.street_a.id)}, now),
                      Frontage.code, "编号“QR00”已被其他商户使用（qr00，仅大小写不同）。"),
        "keytasks": (keytasks, "_refuse_code_taken",
                     lambda code: keytasks.save_task(keytasks.read_values(
                         {"year": "2026", "code": code, "indicator": "竞态任务", "content": "内容", "method": "实地考察",
                          "lead_unit_id": str(city.street_a.id), "due_on": "2026-12-31"}, now), now),
                     KeyTask.code, "2026年已有编号为“qr00”的任务"),
    }


@pytest.mark.parametrize("what", ["units", "accounts", "categories", "sites", "frontages", "keytasks"])
def test_a_code_saved_at_the_same_moment_in_another_case_is_refused(app, city, now, monkeypatch, what):
    module, check, save, column, refusal = _cases(city, now)[what]
    typed, meanwhile = ("QR00", "qr00") if what != "accounts" else ("QBRACE00", "qbrace00")
    saved_meanwhile(monkeypatch, app, module, check, lambda: save(meanwhile))
    with pytest.raises(ServiceError) as refused:
        save(typed)
    db.session.rollback()
    assert refused.value.status in (409, 422) and refusal in refused.value.message, refused.value.message
    stored = db.session.scalars(select(column).where(func.upper(column) == typed.upper())).all()
    assert stored == [meanwhile]


def test_the_units_page_refuses_the_second_of_two_codes_posted_at_once(app, browser, city, now, monkeypatch):
    """The QA's own race, through the page: 422 with the form as typed, not two units."""
    from inspect_app.office import reference

    saved_meanwhile(monkeypatch, app, reference, "_refuse_unit_taken",
                    lambda: reference.save_unit({"code": "qr00", "name": "竞态单位乙", "kind": "市直单位"}, now))
    response = browser(city.admin).submit("/office/units/new", "/office/units/new",
                                          {"code": "QR00", "name": "竞态单位甲", "kind": "市直单位"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "（qr00，仅大小写不同）" in html and 'value="QR00"' in html
    assert db.session.scalars(select(Unit.code).where(func.upper(Unit.code) == "QR00")).all() == ["qr00"]
