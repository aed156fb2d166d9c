"""Actions that cannot be taken back ask first (data-confirm, read by static/js/confirm.js on the form or on the button
that submits it): a number taken from a gap-free series, a letter signed, records deleted or retired, citizens
turned away in bulk. Checked in the templates themselves, so a new form for one of these actions that forgets to
ask fails here; tests/e2e/test_letters_flow.py checks in a browser that declining the question sends nothing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# (template, the endpoint the form posts to, or a button's formaction / name, a word the question must contain)
ASKING = [
    ("assessment/round_detail.html", "assessment.round_close", "结束"),
    ("assessment/round_detail.html", "assessment.round_issue", "文号"),
    ("escalation/detail.html", "escalation.sign", "签发"),
    ("escalation/edit.html", "escalation.discard", "删除"),
    ("escalation/proposals.html", "escalation.dismiss_proposals", "不予督办"),
    ("campaigns/show.html", "office.campaign_delete", "删除"),
    ("intake/item.html", "intake.decline_sender", "不予受理"),
    ("office/account_form.html", "office.account_active", "停用"),
    ("office/unit_form.html", "office.unit_active", "停用"),
    ("keytasks/detail.html", "keytasks.active", "撤销"),
    ("office/holidays.html", 'name="delete"', "删除"),
    ("rankings/detail.html", "rankings.publish", "发布"),
]


def _tag_around(source: str, needle: str) -> str:
    """The opening tag (a form or a button) in which `needle` stands."""
    at = source.index(needle)
    start = max(source.rfind("<form", 0, at), source.rfind("<button", 0, at))
    return source[start:source.index(">", at) + 1]


@pytest.mark.parametrize("template,target,word", ASKING, ids=[f"{t}:{e}" for t, e, _ in ASKING])
def test_actions_that_cannot_be_undone_ask_first(template, target, word):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    needle = f"url_for('{target}'" if "." in target and "=" not in target else target
    assert needle in source, f"{template} no longer has {target}"
    tag = _tag_around(source, needle)
    question = re.search(r'data-confirm="([^"]+)"', tag)
    assert question, f"{template}: the form for {target} does not ask first:\n{tag}"
    assert word in question.group(1)
