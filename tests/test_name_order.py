"""Names are listed in one order on every page whatever the database's locale: by code point, as Python's sorted()
and SQLite sort them (common/sql.by_code_point). QA: on a PostgreSQL database created with a Chinese locale (ICU
zh-Hans-CN), the 区县 menu of /tickets, /office/segments and /patrols/ (sorted in SQL) read 东湖区, 高新区, 江城区, 临江区,
新港区 (pinyin) while /sites/ (sorted in Python) read 东湖区, 临江区, 新港区, 江城区, 高新区."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from inspect_app.extensions import db
from inspect_app.units.models import Segment

DISTRICTS = ("江城区", "临江区", "东湖区", "新港区", "高新区")
CODE_POINT = sorted(DISTRICTS)  # 东湖区, 临江区, 新港区, 江城区, 高新区
PINYIN = ["东湖区", "高新区", "江城区", "临江区", "新港区"]


@contextmanager
def chinese_collation():
    """On PostgreSQL, segments.district and name sorted as a database created with the zh_CN locale sorts them (the
    columns' own collation, as the database's default would be); back to the default afterwards. SQLite has none."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    columns = (("district", 32), ("name", 100))
    with db.engine.begin() as conn:
        for name, length in columns:
            conn.execute(text(f'ALTER TABLE segments ALTER COLUMN {name} TYPE VARCHAR({length}) '
                              f'COLLATE "zh-Hans-CN-x-icu"'))
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for name, length in columns:
                conn.execute(text(f'ALTER TABLE segments ALTER COLUMN {name} TYPE VARCHAR({length}) COLLATE "default"'))


@pytest.fixture
def districts(city):
    for district in DISTRICTS:
        for road in ("人民路", "八一路"):
            db.session.add(Segment(name=f"{district}{road}", district=district, unit=city.street_a))
    db.session.commit()


def test_the_districts_read_in_one_order_on_every_page_whatever_the_locale(browser, city, districts):
    from inspect_app.office import reference
    from inspect_app.patrols import services as patrols
    from inspect_app.surveys import services as surveys

    with chinese_collation():
        if db.engine.dialect.name == "postgresql":  # the collation does what a zh_CN database does
            ordered = db.session.scalars(text("SELECT DISTINCT district FROM segments ORDER BY district")).all()
            assert [d for d in ordered if d in DISTRICTS] == PINYIN
        wanted = CODE_POINT
        assert [d for d in reference.districts() if d in DISTRICTS] == wanted
        assert [d for d in patrols.districts() if d in DISTRICTS] == wanted
        assert [d for d in surveys.districts() if d in DISTRICTS] == wanted
        page = browser(city.admin).get("/tickets").get_data(as_text=True)
        menu = re.search(r'<select name="district">(.*?)</select>', page, re.S).group(1)
        assert [d for d in re.findall(r"<option[^>]*>([^<]+)</option>", menu) if d in DISTRICTS] == wanted
        segments, _ = reference.list_segments(unit_id=city.street_a.id)
        rows = [(s.district, s.name) for s in segments if s.district in DISTRICTS]
        assert rows == sorted(rows) and len(rows) == 11
