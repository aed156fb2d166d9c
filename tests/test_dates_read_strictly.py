"""Every day typed into a form is read as YYYY-MM-DD and nothing else: date.fromisoformat alone also takes
20261220 and 2026-W50-1 (a week date), so a slip in a form became a real, different day."""
from datetime import datetime, timezone

import pytest

from inspect_app.common.errors import ServiceError

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
SLIPS = ["20261208", "2026-W50-1", "2026-12-08 下午", "2026-12-8"]


def _parsers():
    from inspect_app.frontages import notices
    from inspect_app.office import campaigns, holidays
    from inspect_app.patrols import absences, days
    return {
        "门前四包整改期限": lambda text: notices._due(text, NOW),
        "请假日期": lambda text: absences._day(text, "开始日期"),
        "巡查日志日期": lambda text: days.asked_day(text, NOW),
        "节假日": holidays.parse_day,
        "专项行动日期": lambda text: campaigns._date(text, "开始日期"),
    }


@pytest.mark.parametrize("name", ["门前四包整改期限", "请假日期", "巡查日志日期", "节假日", "专项行动日期"])
@pytest.mark.parametrize("slip", SLIPS)
def test_a_day_written_another_way_is_refused(app, name, slip):
    with app.app_context():
        with pytest.raises(ServiceError) as refused:
            _parsers()[name](slip)
    assert refused.value.code == "invalid_date"
    assert "格式" in refused.value.message


@pytest.mark.parametrize("name", ["门前四包整改期限", "请假日期", "节假日", "专项行动日期"])
def test_a_day_written_as_asked_is_taken(app, name):
    with app.app_context():
        assert str(_parsers()[name](" 2026-12-08 ")) == "2026-12-08"
