"""A small assessment world on top of conftest's City: three site types, sites in two districts with their
answering units, a checklist version, and helpers to create rounds and submit sites."""
from __future__ import annotations

import io
import json

from conftest import PASSWORD, photo_bytes

from inspect_app.extensions import db

# points per item: market items 2 (operator), 3 (sector), 1.5 (territorial); lanes 2 and 1 (territorial);
# toilets 2 (operator) and 1 (sector).
ITEMS = [
    ("NM-01", "农贸市场", "划行归市，摊位摆放整齐", 2.0, "operator", {"workdays": 3}),
    ("NM-02", "农贸市场", "无活禽散养", 3.0, "sector", {"hours": 24}),
    ("NM-03", "农贸市场", "周边无占道经营", 1.5, "territorial", {"hours": 24}),
    ("BJ-01", "背街小巷", "无乱堆乱放", 2.0, "territorial", {"hours": 24}),
    ("BJ-02", "背街小巷", "无“牛皮癣”", 1.0, "territorial", {"workdays": 5}),
    ("GC-01", "公共厕所", "无明显异味", 2.0, "operator", {"hours": 24}),
    ("GC-02", "公共厕所", "有洗手设施", 1.0, "sector", {"workdays": 3}),
]


class World:
    def __init__(self, city, now):
        from inspect_app.assessment import checklist
        from inspect_app.auth.services import create_user
        from inspect_app.sites.models import Site, SiteKind
        from inspect_app.units.models import Unit

        self.city = city
        self.kinds = {}
        for order, name in enumerate(("农贸市场", "背街小巷", "公共厕所")):
            kind = db.session.scalar(db.select(SiteKind).where(SiteKind.name == name))
            if kind is None:
                kind = SiteKind(name=name, sort_order=order, active=True)
                db.session.add(kind)
            self.kinds[name] = kind
        self.market_office = Unit(code="SJ", name="市市场监管局", kind="市直单位")
        self.market_operator = Unit(code="SC", name="市农贸市场管理公司", kind="企业")
        self.sanitation = Unit(code="HW", name="市环卫处", kind="市直单位")
        db.session.add_all([self.market_office, self.market_operator, self.sanitation])
        db.session.flush()
        self.unit_market = create_user("unit_sj", "unit", PASSWORD, now, unit=self.market_office)
        self.unit_operator = create_user("unit_sc", "unit", PASSWORD, now, unit=self.market_operator)
        self.sites = []
        for district, dcode, street, lat in (("江城区", "JC", city.street_a, 28.2301),
                                             ("临江区", "LJ", city.street_b, 28.2399)):
            for kind, kcode, count in (("农贸市场", "NM", 3), ("背街小巷", "BJ", 4), ("公共厕所", "GC", 3)):
                for n in range(count):
                    code = f"{dcode}-{kcode}-{n + 1}"
                    site = Site(code=code, name=f"{district}{kind}{n + 1}号", kind=self.kinds[kind],
                                district=district, lat=lat + n * 0.001, lon=112.935, territorial_unit=street,
                                sector_unit=self.market_office if kind == "农贸市场" else
                                (city.roads if kind == "公共厕所" else None),
                                operator_unit=self.market_operator if kind == "农贸市场" else
                                (self.sanitation if kind == "公共厕所" else None), created_at=now)
                    db.session.add(site)
                    self.sites.append(site)
        db.session.flush()
        rows = [{"code": c, "kind": self.kinds[k], "text": t, "points": p, "answerable_by": r, "deadline": d,
                 "category": None} for c, k, t, p, r, d in ITEMS]
        self.version = checklist.create_version(rows, now, note="测试版")
        db.session.commit()

    def site(self, code: str):
        return next(s for s in self.sites if s.code == code)


def round_body(per_kind=None, seed=7, per_district=False, exclude_recent=0, inspectors=(), kind="mock_assessment",
               name="测试轮次") -> dict:
    return {"kind": kind, "name": name,
            "draw": {"per_kind": per_kind or {"农贸市场": 1, "背街小巷": 2}, "per_district": per_district,
                     "seed": seed, "exclude_recent": exclude_recent},
            "inspector_ids": [u.id for u in inspectors]}


def results_form(answers: dict[str, bool], photos: dict[str, int] | None = None, notes: dict | None = None) -> dict:
    """The multipart fields of a submission: results JSON and photos_<code> (that many photos each)."""
    fields: dict = {"results": json.dumps([{"item": c, "pass": p, "note": (notes or {}).get(c, "")}
                                           for c, p in answers.items()], ensure_ascii=False)}
    for code, count in (photos or {}).items():
        fields[f"photos_{code}"] = [(io.BytesIO(photo_bytes("Canon_40D.jpg")), f"{code}-{i}.jpg")
                                    for i in range(count)]
    return fields
