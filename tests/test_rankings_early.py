"""Publishing a 红黑榜 for a period that has not ended is a deliberate choice (提前发布), everywhere a person
publishes: the service, the API, the office's pages and the command line. Nothing is numbered without it."""
from __future__ import annotations

import pytest
from conftest import at
from sqlalchemy import func, select

from inspect_app.common.errors import Conflict
from inspect_app.extensions import db
from inspect_app.rankings import services
from inspect_app.rankings.models import Ranking
from inspect_app.rankings.periods import parse_period

THURSDAY = at("2026-12-03T10:00:00")  # week 2026-W49 runs 11月30日—12月6日; December has 3 days behind it
W49 = parse_period("2026-W49")


def published() -> int:
    return db.session.scalar(select(func.count()).select_from(Ranking))


@pytest.fixture
def thursday(clock):
    """The suite's clock (conftest.clock) from Thursday 3 December 2026, before the week of W49 is over."""
    clock.set(THURSDAY)
    return clock


def test_the_service_refuses_a_running_period_unless_told_early(city):
    with pytest.raises(Conflict) as refused:
        services.publish(W49, THURSDAY, user=city.admin)
    assert refused.value.code == "period_not_ended" and refused.value.status == 409
    message = refused.value.message
    assert "12月6日才结束" in message and "12月3日 10:00" in message and "提前发布" in message
    assert published() == 0
    ranking = services.publish(W49, THURSDAY, user=city.admin, early=True)
    assert ranking.number == "临江文明榜〔2026〕1号"  # the refusal used up no number
    # an ended period needs no choice; the scheduler (no person) publishes ended periods only
    assert services.publish(parse_period("2026-11"), THURSDAY, user=city.admin).version == 1
    with pytest.raises(Conflict):
        services.publish(parse_period("2026-12"), THURSDAY, early=False)
    assert services.early_notice(parse_period("2026-11"), THURSDAY) is None


def test_the_api_takes_an_optional_early_flag(api, city, thursday):
    refused = api.post("/api/v1/rankings", city.admin, json={"period": "2026-W49"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "period_not_ended"
    assert "12月6日才结束" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["message"].endswith("如确需提前发布，请在请求中加 \"early\": true。")
    assert api.post("/api/v1/rankings", city.admin, json={"period": "2026-W49", "early": "yes"}).status_code == 400
    assert published() == 0
    preview = api.post("/api/v1/rankings", city.admin, json={"period": "2026-W49", "publish": False})
    assert preview.status_code == 200  # a preview stores nothing and needs no choice
    made = api.post("/api/v1/rankings", city.admin, json={"period": "2026-W49", "early": True})
    assert made.status_code == 201 and made.get_json()["number"] == "临江文明榜〔2026〕1号"
    ended = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"})
    assert ended.status_code == 201 and ended.get_json()["number"] == "临江文明榜〔2026〕2号"


def test_the_pages_say_the_period_runs_on_and_ask_for_the_early_box(browser, city, thursday):
    admin = browser(city.admin)
    index = admin.get("/rankings/").get_data(as_text=True)
    assert 'name="early" value="1"' in index and "data-confirm=" in index
    assert "2026年12月（未结束）" in index and "2026年11月（未结束）" not in index

    # the audit's click: 发布周期 2026-W49, 发布新版本, box not ticked
    refused = admin.submit("/rankings/", "/rankings/publish", {"period": "2026-W49"})
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/rankings/preview?period=2026-W49")
    assert published() == 0
    preview = admin.get("/rankings/preview?period=2026-W49").get_data(as_text=True)
    assert "12月6日才结束" in preview and "12月3日 10:00" in preview  # the flash and the page's own notice
    assert 'name="early" value="1" required' in preview and "提前发布2026年第49周红黑榜" in preview
    assert "data-confirm=\"确认发布2026年第49周红黑榜（提前发布" in preview

    made = admin.submit("/rankings/preview?period=2026-W49", "/rankings/publish", {"period": "2026-W49", "early": "1"})
    assert made.status_code == 303 and published() == 1

    # an ended month: no notice, no box, still a confirmation
    november = admin.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    assert "尚未结束" not in november and 'name="early"' not in november
    assert ">发布2026年11月红黑榜</button>" in november and 'data-confirm="确认发布2026年11月红黑榜？' in november
    assert admin.submit("/rankings/", "/rankings/publish", {"period": "2026-11"}).status_code == 303
    assert published() == 2


def test_the_command_line_needs_early_too(app, city):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["rank", "--period", "2026-W49", "--publish", "--now", "2026-12-03T10:00:00"])
    assert refused.exit_code != 0 and "如确需提前发布，请加 --early。" in refused.output  # not the page's box
    assert "选择“提前发布”" not in refused.output
    assert published() == 0
    made = runner.invoke(args=["rank", "--period", "2026-W49", "--publish", "--early", "--now", "2026-12-03T10:00:00"])
    assert made.exit_code == 0, made.output
    assert "临江文明榜〔2026〕1号" in made.output and published() == 1
