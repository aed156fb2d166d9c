"""The dashboard's 逾期未回复 figure counts what the page it links to lists: 督办函 (letters), with the units
behind them said beside it."""
from __future__ import annotations

import re
from datetime import timedelta

from conftest import at
from sqlalchemy import insert

from inspect_app.escalation import stats
from inspect_app.escalation.models import Letter, LetterUnit
from inspect_app.extensions import db

NOW = at("2026-12-03T10:00:00")


def letter(number: int, units, issued: str, replied=(), kind="supervision") -> int:
    """An issued letter to `units` (Core insert: issued letters do not change through the ORM)."""
    letter_id = db.session.execute(insert(Letter.__table__).values(
        status="issued", kind=kind, series="bulletin" if kind == "bulletin" else "letter", number=f"临江文明督〔2026〕{number}号", year=2026,
        seq=number, unit_id=units[0].id, level=1, issued_at=at(issued), reply_by=at(issued) + timedelta(days=5),
        created_at=at(issued), revision=1, pdf_path="")).inserted_primary_key[0]
    for position, unit in enumerate(units):
        db.session.execute(insert(LetterUnit.__table__).values(
            letter_id=letter_id, unit_id=unit.id, position=position,
            replied_at=at(issued) + timedelta(days=1) if unit in replied else None))
    db.session.commit()
    return letter_id


def test_overdue_replies_count_letters_and_name_the_units(browser, city, clock):
    clock.set(NOW)
    four = [city.street_a, city.street_b, city.police, city.roads]
    letter(901, four, "2026-11-20T10:00")                                    # nobody replied: late
    letter(902, [city.street_a], "2026-11-21T10:00", replied=[city.street_a])  # replied: not late
    letter(903, [city.street_a, city.street_b], "2026-12-02T10:00")          # reply-by still to come
    assert stats.overdue_replies_now(NOW) == 1
    assert stats.overdue_reply_units_now(NOW) == 4

    leader = browser(city.leader)
    page = leader.get("/dashboard/").get_data(as_text=True)
    card = re.search(r'<div class="kpi alarm"><span>逾期未回复督办函</span><b><a href="([^"]+)">(\d+)</a></b>'
                     r'<small>(\d+)个单位未回复', page)
    assert card, page[page.find("逾期未回复") - 200:page.find("逾期未回复") + 400]
    link, figure, units = card.group(1), int(card.group(2)), int(card.group(3))
    assert (figure, units) == (1, 4)
    listed = leader.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f"督办函 <small>{figure} 件</small>" in listed  # the page it opens says the same number


def test_the_card_says_how_many_of_its_letters_are_bulletins(browser, city, clock):
    """A 督查通报 asks for a written reply too, so it is counted (the list it links to shows it), but it is no
    督办函: the card says how many of its figures are 通报."""
    clock.set(NOW)
    letter(911, [city.street_a], "2026-11-20T10:00")
    letter(912, [city.street_b], "2026-11-20T10:00", kind="bulletin")
    letter(913, [city.police], "2026-12-02T10:00", kind="bulletin")  # not late yet
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    card = page[page.index("<span>逾期未回复督办函</span>"):]
    card = card[:card.index("</div>")]
    assert ">2</a></b><small>含督查通报1份 · 2个单位未回复 · 待销号督办函 3（含督查通报2份）</small>" in card, card
