"""The PDF of a letter, as a GB/T 9704-2012 document (inspect_app/pdf does the layout).

督办函 and 挂牌督办函 are 函 in 信函格式; 约谈通知 and 督查通报 are in 文件格式 (pdf.document.KINDS). The problems go
into the 附件 问题清单 (a table on its own pages, grouped by 主送 unit when there are several); the title, body,
报 and 抄送 are the letter's own (the office's wording, copied from its template when the draft was compiled). An
issued letter prints what was recorded at 签发 (its 主送 names too), whenever its PDF is built; a draft prints its
tickets and units as they are now, marked 草稿, without a number or a seal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import current_app

from ..common.timeutil import local
from ..pdf.document import KINDS, Attachment, Form, OfficialDocument, Seal
from ..pdf.fonts import document_fonts
from ..pdf.problems import ProblemItem, problem_table
from ..pdf.render import render_document
from ..photos.storage import PhotoStore, is_valid_key
from ..tickets.rules import overdue_span
from .compose import reply_by_at
from .models import Letter, LetterItem
from .settings import KIND_CLOSINGS, LEVEL_TEXT, TITLE_PHRASES, banner, default_body, fill, level_text, setting
from .wording import body_blocks, fill_values, split_line


def _photo(store: PhotoStore, key: str | None) -> str | None:
    if key and is_valid_key(key):
        return str(store.display_path(key))  # the stamped copy: when, where, who
    return None


def draft_facts(items: list[LetterItem], now: datetime) -> dict[int, dict]:
    """What a draft's items would say if it were signed now, read from the tickets (item id -> facts), as signing
    records them: an assisting unit's item with its own part's deadline."""
    from .sweep import assist_part, first_photo_keys, item_facts

    keys = first_photo_keys([item.ticket_id for item in items])
    return {item.id: item_facts(item.ticket, now, keys.get(item.ticket_id), assist_part(item.ticket, item.unit_id))
            for item in items}


def _late(facts: dict, as_of: datetime) -> str:
    """How late the problem was at the letter's date (LetterItem.overdue for an issued letter's); a letter stored
    without the original deadline says what it recorded."""
    days = facts["days_overdue"]
    return overdue_span(facts["original_deadline"], as_of) or (f"{days}天" if days else "")


def _problem(facts: dict, store: PhotoStore, as_of: datetime) -> ProblemItem:
    return ProblemItem(number=facts["ticket_number"], category=facts["category_name"], place=facts["place"],
                       found_at=facts["reported_at"], deadline=facts["original_deadline"],
                       overdue=_late(facts, as_of), photo=_photo(store, facts["photo_key"]))


def _stored_facts(item: LetterItem) -> dict:
    return {"ticket_number": item.ticket_number, "category_name": item.category_name, "place": item.place,
            "reported_at": item.reported_at, "original_deadline": item.original_deadline,
            "days_overdue": item.days_overdue, "photo_key": item.photo_key}


@dataclass(frozen=True)
class Wording:
    """What a letter says, as printed: its 主送 names, title, body lines and 报/抄送, with its placeholders filled."""
    names: list[str]
    by_unit: dict[int, str]  # each 主送 unit's name as printed, by unit id
    title: str
    body: str  # the office's wording, placeholders unfilled (body_blocks fills them)
    values: dict[str, str]
    report_to: str | None
    cc: str | None

    @property
    def lines(self) -> list[str]:
        """The body as printed: one line per paragraph or heading, every placeholder filled."""
        return [block.text for block in body_blocks(self.body, self.values)]


def letter_as_of(letter: Letter, now: datetime | None = None) -> datetime:
    """The moment a letter describes: its 签发 once issued; a draft's preview `now` (else its last change)."""
    return (now or letter.updated_at or letter.created_at) if letter.status == "draft" else letter.issued_at


def letter_wording(letter: Letter, as_of: datetime) -> Wording:
    """The letter's words as its PDF prints them at `as_of`: an issued letter's 主送 as signed
    (LetterUnit.unit_name), a draft's units as they are; a letter stored before the wording was the office's to
    edit, its level's wording."""
    draft = letter.status == "draft"
    by_unit = {r.unit_id: (None if draft else r.unit_name) or r.unit.name for r in letter.recipients}
    names = list(by_unit.values()) or [letter.unit.name]
    values = fill_values(count=len(letter.items), reply_by=reply_by_at(letter, as_of), units=names, as_of=as_of)
    if letter.body is None:
        wording = level_text(letter.level)
        wording.setdefault("feedback", LEVEL_TEXT[1]["feedback"])
        body = default_body(wording, KIND_CLOSINGS.get(letter.kind, "特此函告。"))
        report_to, cc = wording.get("report"), wording.get("cc")
    else:
        body, report_to, cc = letter.body, letter.report_to, letter.cc
    title = letter.title if letter.title is not None else level_text(letter.level)["title"]
    return Wording(names=names, by_unit=by_unit, title=fill(title, values), body=body, values=values, report_to=report_to, cc=cc)


def letter_document(letter: Letter, now: datetime | None = None) -> OfficialDocument:
    """The letter as an official document. `now` is the moment a draft's preview describes (ignored once issued)."""
    config = current_app.config
    draft = letter.status == "draft"
    as_of = letter_as_of(letter, now)
    store = PhotoStore(config["UPLOAD_FOLDER"])
    facts = draft_facts(letter.items, as_of) if draft else {item.id: _stored_facts(item) for item in letter.items}
    words = letter_wording(letter, as_of)
    names = words.names
    groups: dict[str, list[ProblemItem]] = {name: [] for name in names}
    for item in letter.items:
        name = words.by_unit.get(item.unit_id) or names[0]
        groups.setdefault(name, []).append(_problem(facts[item.id], store, as_of))

    listed = [(name, rows) for name, rows in groups.items() if rows]
    kind = KINDS.get(letter.kind) or KINDS["supervision"]
    mark = banner()
    if kind.form is Form.FILE and not mark.endswith("文件"):
        mark += "文件"
    seal_path = config.get("PDF_SEAL_IMAGE")
    date = local(as_of).date()
    return OfficialDocument(
        form=kind.form,
        issuer_mark=mark,
        doc_number=None if draft else letter.number,
        title=words.title,
        recipients=names,
        body=body_blocks(words.body, words.values),
        attachments=[Attachment("问题清单", [problem_table(listed)])] if listed else [],
        signatory=config["OFFICE_NAME"],
        date=date,
        seal=Seal(seal_path, float(config["PDF_SEAL_DIAMETER_MM"])) if seal_path and not draft else None,
        note=setting("LETTER_CONTACT") or "",
        report_to=split_line(words.report_to),
        cc=split_line(words.cc),
        printer=config["OFFICE_SHORT_NAME"],
        print_date=date,
        draft=draft,
        title_keep=[*names, *TITLE_PHRASES],
    )


def build_letter_pdf(letter: Letter, out: BinaryIO, now: datetime | None = None) -> None:
    fonts = document_fonts(current_app.config, body=setting("LETTER_FONT_PATH") or None)
    render_document(letter_document(letter, now), out, fonts=fonts)

