"""A round's 督查通报 (numbered, 文件格式) and its 曝光 version for the media (photos, places, units, no scores),
both built on the document layer (inspect_app/pdf). Before the office issues the 通报 both print as 草稿; afterwards
the 通报 carries the round's 文号 from its own series (ASSESSMENT_BULLETIN_PREFIX) and the 曝光 version none: it
is a release, not a numbered 公文.

Both count the findings that stand (findings.py): one the office voided as wrong is left out, and the 通报 says how
many were. An issued 通报 is kept as issued: written to UPLOAD_FOLDER/assessment/<year>/<seq>.pdf when it takes its
number and served from there, as a signed 督办函 is, so a finding voided or moved afterwards does not silently change
a 公文 already sent; the scores page, the 领导看板 and the 曝光版 show things as they stand now."""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..common.numbers import fixed
from ..http import pdf_bytes, pdf_file
from ..common.timeutil import fmt, local
from ..extensions import db
from ..pdf.atomic import write_atomically
from ..pdf.document import (
    Attachment,
    Column,
    DataTable,
    Form,
    Heading,
    OfficialDocument,
    Para,
    Photo,
    Seal,
)
from ..pdf.render import render_document
from ..photos.storage import PhotoStore, is_valid_key
from ..sites.models import ROLE_LABELS
from ..tickets.models import Ticket
from ..tickets.rules import STATUS_LABELS
from . import findings
from .models import ChecklistItem, Result, Round, RoundSite
from .scores import round_scores


class _Office:
    """Whoever prints: the office (citywide figures)."""
    role = "admin"
    unit_id = None


def _cfg(name: str):
    return current_app.config[name]


def _score(value) -> str:
    return fixed(value)


def _delta(value) -> str:
    if value is None:
        return "—"
    return "持平" if abs(value) < 0.05 else (f"↑{fixed(value)}" if value > 0 else f"↓{fixed(-value)}")


def _failures(rnd: Round) -> list[tuple[RoundSite, Result]]:
    """The round's failed items that stand (findings.standing): one voided as wrong is no finding."""
    query = (select(RoundSite, Result).join(Result, Result.round_site_id == RoundSite.id)
             .where(RoundSite.round_id == rnd.id, findings.standing())
             .options(selectinload(Result.ticket).selectinload(Ticket.photos))
             .order_by(RoundSite.id, Result.id))
    return list(db.session.execute(query).tuples())


def _photo(store: PhotoStore, ticket: Ticket | None, w: float, h: float) -> Photo:
    photos = ticket.photos_of("before") if ticket is not None else []
    key = photos[0].key if photos else None
    if key and is_valid_key(key):
        return Photo(store.path(key, thumb=True), w, h)
    return Photo(None, w, h)


def failure_text(result: Result) -> str:
    """A failed item as the 通报 states it: the inspector's note, then the standard it falls short of
    (发现活禽笼养，不符合“无活禽散养”要求). The standard alone read as the opposite of what was found."""
    standard = result.item.text.strip().rstrip("。；;，,").replace("“", "‘").replace("”", "’")
    note = (result.note or "").strip().rstrip("。；;，,")
    return (f"{note}，" if note else "") + f"不符合“{standard}”要求"


def lowest_sites(sites: list[dict], count: int) -> tuple[list[dict], int]:
    """The submitted sites with a failure, lowest score first, as the 通报's 得分较低的点位 lists them: ``count`` of
    them and every site tied (as printed) with the last, as the 红黑榜 lists a tied place whole; and how many such
    tied sites are left out, for the 通报 to say so, where listing them all would pass twice ``count``. A cut inside a
    tie listed one site at 97.0 and left out another as low."""
    ranked = sorted((s for s in sites if s["status"] == "submitted" and s["failed"]),
                    key=lambda s: (s["score"], s["code"]))
    if len(ranked) <= count or count <= 0:
        return ranked[:max(count, 0)], 0
    last = _score(ranked[count - 1]["score"])
    tied = count
    while tied < len(ranked) and _score(ranked[tied]["score"]) == last:
        tied += 1
    if tied <= 2 * count:
        return ranked[:tied], 0
    return ranked[:count], tied - count


def bulletin_document(rnd: Round) -> OfficialDocument:
    scores = round_scores(_Office(), rnd)
    overall, comparison = scores["overall"], scores["comparison"]
    previous = db.session.get(Round, scores["previous_round_id"]) if scores["previous_round_id"] else None
    store = PhotoStore(_cfg("UPLOAD_FOLDER"))
    failures = _failures(rnd)
    from .services import draw_summary, excluded_rounds
    drawn, _ = draw_summary(rnd)
    left_out = excluded_rounds(rnd)
    if left_out:  # named, as recorded when it drew: "the last N rounds" would name others by now
        drawn += (f"，排除了{'、'.join(f'“{r.name}”' for r in left_out)}"
                  f"{f'这{len(left_out)}轮' if len(left_out) > 1 else ''}测评过的点位")
    scored = overall["submitted"]
    body: list = [Para(
        f"为巩固提升全国文明城市创建成果，对照《全国文明城市测评体系》实地考察要求，市文明办于{rnd.dates}"
        f"组织开展了{rnd.name}{'' if rnd.kind_label in rnd.name else f'（{rnd.kind_label}）'}。"
        f"本轮按点位类型随机抽取点位，{drawn}（抽签编号{rnd.seed}，抽签记录留存备查），由督查员逐项实地测评"
        + (f"，共测评点位{scored}个。现将有关情况通报如下。" if scored else "。"))]
    if not scored:  # a draft before any result: no score, no comparison, no tables of nothing
        body += [Heading("一、总体情况"),
                 Para(f"本轮应测评点位{overall['drawn']}个，尚无点位提交测评结果。得分、对比和整改任务待点位提交测评结果后列出。")]
        return _document(rnd, f"关于{rnd.name}情况的通报", body, [], ["各区县人民政府，市文明委各成员单位"])
    unscored = overall["drawn"] - scored
    summary = (f"本轮应测评点位{overall['drawn']}个，已测评{scored}个"
               + (f"（{unscored}个{'未测评' if rnd.status == 'closed' else '尚未提交结果'}，以下按已测评的点位统计）"
                  if unscored else "")
               + f"，平均得分{_score(overall['score'])}分（满分{scores['full_score']:g}分），全部达标点位"
                 f"{overall['full_marks']}个，"
               + (f"发现不达标问题{overall['failed']}个，均已作为整改任务派发至责任单位。" if overall["failed"]
                  else "未发现不达标问题。"))
    withdrawn = findings.withdrawn_count(rnd.id)
    if withdrawn:
        summary += f"另有{withdrawn}个问题经复核不成立，已作废，不计入扣分。"
    if comparison and previous is not None and comparison["delta"] is not None:
        delta = comparison["delta"]
        trend = "持平" if abs(delta) < 0.05 else (f"提高{fixed(delta)}分" if delta > 0 else f"下降{fixed(-delta)}分")
        summary += f"与上一轮{rnd.kind_label}（{previous.name}，平均{_score(comparison['previous_score'])}分）相比{trend}。"
    body += [Heading("一、总体情况"), Para(summary)]

    def table(name: str, title: str) -> DataTable:
        rows = []
        for key, figures in scores[name].items():
            change = comparison[name].get(key, {}).get("delta") if comparison else None
            rows.append([key, str(figures["sites"]), _score(figures["score"]), str(figures["failed"]),
                         str(figures["full_marks"]), _delta(change)])
        return DataTable((Column(title, 40, "label"), Column("测评点位", 22, "plain"), Column("平均得分", 24, "plain"),
                          Column("问题数", 22, "plain"), Column("全部达标", 22, "plain"), Column("较上轮", 26, "plain")),
                         rows=rows)

    body += [Heading("二、各类点位得分情况"), table("by_kind", "点位类型"),
             Heading("三、各区县得分情况"), table("by_district", "区县")]

    # The worst sites, with the photo of each failure (up to three).
    worst, unlisted = lowest_sites(scores["sites"], _cfg("ASSESSMENT_WORST_SITES"))
    by_site: dict[int, list] = defaultdict(list)
    for rs, result in failures:
        by_site[rs.site_id].append(result)
    body.append(Heading("四、得分较低的点位"))
    if worst:
        rows = []
        for s in worst:
            results = by_site[s["site_id"]]
            problems = "；".join(f"{failure_text(r)}（扣{r.deducted:g}分）" for r in results)
            rows.append([f"{s['district']}{s['name']}\n（{s['kind']}）", _score(s["score"]), problems,
                         [_photo(store, r.ticket, 24, 18) for r in results[:3]]])
        body.append(DataTable((Column("点位", 36, "text"), Column("得分", 14, "plain"), Column("主要问题", 52, "text"),
                               Column("现场照片", 54, "photo")), rows=rows))
        if unlisted:
            body.append(Para(f"另有{unlisted}个点位得分同为{_score(worst[-1]['score'])}分，未逐一列出。"))
    else:
        body.append(Para("已测评的点位全部达标。" if unscored else "本轮测评点位全部达标。"))

    body.append(Heading("五、责任单位扣分情况"))
    units = [u for u in scores["by_unit"] if u["failed"]]
    if units:
        rows = [[str(i), u["name"], str(u["sites"]), str(u["failed"]), f"{u['deducted']:g}", _score(u["score"])]
                for i, u in enumerate(units, start=1)]
        body.append(DataTable((Column("序号", 12, "plain"), Column("责任单位", 56, "label"), Column("涉及点位", 20, "plain"),
                               Column("问题数", 20, "plain"), Column("扣分", 20, "plain"), Column("得分", 28, "plain")),
                              rows=rows))
        body.append(Para("说明：单位得分 = 满分 − 该单位负责的不达标项扣分之和 ÷ 该单位负责的测评点位数；按得分由低到高排列。"))
    else:
        body.append(Para("本轮无责任单位被扣分。"))
    body.append(Heading("六、整改要求"))
    if failures:  # the attachment lists the tasks: none when nothing failed
        body += [Para("各责任单位要对照附件所列整改任务，立即组织整改，在规定时限内通过督查整改系统反馈整改情况并上传"
                      "整改后照片，市文明办将逐项核查销号。逾期未整改或整改不到位的，按程序实行督办、挂牌督办直至约谈。",
                      lead="（一）限期整改到位。"),
                 Para("各区县、各行业主管部门要举一反三，对同类点位开展自查自纠，建立长效管理机制，防止问题反弹回潮。",
                      lead="（二）举一反三抓长效。")]
    else:
        body.append(Para("各区县、各行业主管部门要对同类点位开展自查自纠，建立长效管理机制，巩固测评成果。",
                         lead="（一）巩固成果抓长效。"))
    body.append(Para("特此通报。"))

    tasks: dict[str, list] = defaultdict(list)
    for rs, result in failures:
        ticket = result.ticket
        unit = ticket.unit.name if ticket is not None and ticket.unit else "待派遣"
        tasks[unit].append([ticket.number if ticket else "—", f"{rs.district}{rs.site_name}",
                            failure_text(result), ROLE_LABELS[result.item.answerable_by],
                            fmt(ticket.deadline, "%Y-%m-%d\n%H:%M") if ticket is not None and ticket.deadline
                            else "—",
                            STATUS_LABELS.get(ticket.status, "") if ticket else ""])
    attachments = []
    if tasks:
        from ..pdf.document import RowGroup
        groups, counter = [], 0
        for unit in sorted(tasks, key=lambda u: (-len(tasks[u]), u)):
            rows = []
            for row in tasks[unit]:
                counter += 1
                rows.append([str(counter), *row])
            groups.append(RowGroup(f"{unit}（{len(rows)}项）", rows))
        attachments.append(Attachment(f"{rnd.name}整改任务清单", [DataTable(
            (Column("序号", 10, "plain"), Column("任务编号", 23, "plain"), Column("点位", 30, "text"),
             Column("问题", 43, "text"), Column("责任\n主体", 14, "label"), Column("整改期限", 21, "plain"),
             Column("状态", 15, "label")), groups=groups, font_size=9)]))
    return _document(rnd, f"关于{rnd.name}情况的通报", body, attachments, ["各区县人民政府，市文明委各成员单位"])


def exposure_document(rnd: Round) -> OfficialDocument:
    """For the media: what was found where and which unit answers for it, with photos; no scores."""
    store = PhotoStore(_cfg("UPLOAD_FOLDER"))
    failures = _failures(rnd)
    sites = {rs.site_id for rs, _ in failures}
    opening = f"{rnd.dates}，市文明办组织开展{rnd.kind_label}，对随机抽取的点位进行实地察看"
    if failures:
        body: list = [Para(f"{opening}，发现以下{len(failures)}个不文明现象和管理问题（涉及{len(sites)}个点位）。"
                           "现予以曝光，请相关责任单位立即整改，欢迎广大市民监督。")]
        rows = []
        for rs, result in failures:
            ticket = result.ticket
            # without a unit on the ticket, the site's 属地 in this round (as fixed when it was scored)
            unit = ticket.unit.name if ticket is not None and ticket.unit else rs.territorial_unit.name
            place = f"{rs.district}{rs.site_street} {rs.site_name}" + (
                f"（{rs.site_address}）" if rs.site_address else "")  # as drawn, not where the site is now
            text = f"未达标：{result.item.text}" + (f"（{result.note}）" if result.note else "")
            rows.append([place, text, unit, _photo(store, ticket, 40, 30)])
        body.append(DataTable((Column("地点", 38, "text"), Column("问题", 42, "text"), Column("责任单位", 32, "label"),
                               Column("现场照片", 44, "photo")), rows=rows))
    else:  # nothing to expose: say so, not "发现以下0个"
        looked = db.session.scalar(select(RoundSite.id).where(RoundSite.round_id == rnd.id,
                                                               RoundSite.status == "submitted").limit(1))
        body = [Para(f"{opening}，" + ("察看的点位未发现问题。" if looked else "尚无点位提交察看结果。"))]
    body.append(Para("市民发现身边的不文明现象，可通过“市民随手拍”或拨打12345政务服务热线反映。"))
    # A release to the media, not a 公文 of its own: the 通报's 发文字号 on it made two documents of one number.
    return _document(rnd, f"{rnd.name}发现问题曝光", body, [], ["各新闻媒体"], numbered=False)


def _document(rnd: Round, title: str, body: list, attachments: list, recipients: list[str],
              numbered: bool = True) -> OfficialDocument:
    office = _cfg("OFFICE_NAME")
    issued = rnd.bulletin_number is not None
    day = local(rnd.bulletin_issued_at or rnd.closed_at or rnd.created_at).date()
    seal = _cfg("PDF_SEAL_IMAGE")
    return OfficialDocument(
        form=Form.FILE, issuer_mark=office + "文件", doc_number=rnd.bulletin_number if numbered else None, title=title,
        recipients=recipients, body=body, attachments=attachments, signatory=office, date=day,
        seal=Seal(seal, float(_cfg("PDF_SEAL_DIAMETER_MM"))) if seal and issued else None,
        report_to=[_cfg("BULLETIN_REPORT_TO")], cc=[_cfg("BULLETIN_CC")], printer=_cfg("OFFICE_SHORT_NAME"),
        print_date=day, draft=not issued)


def render(rnd: Round, variant: str = "bulletin") -> bytes:
    out = io.BytesIO()
    _render_to(rnd, variant, out)
    return out.getvalue()


def _render_to(rnd: Round, variant: str, out) -> None:
    render_document(bulletin_document(rnd) if variant == "bulletin" else exposure_document(rnd), out)


def issued_path(rnd: Round) -> Path:
    """Where the issued 通报 is kept (ops/files.py knows the pattern: backups, restores, orphans)."""
    return Path(_cfg("UPLOAD_FOLDER")) / "assessment" / f"{rnd.bulletin_year:04d}" / f"{rnd.bulletin_seq}.pdf"


def keep_issued(rnd: Round) -> Path:
    """Write the issued 通报 as it reads now (at its issue; services.issue_bulletin)."""
    return write_atomically(issued_path(rnd), lambda out: _render_to(rnd, "bulletin", out))


def pdf_response(rnd: Round, variant: str):
    """The PDF for the pages and the API: an issued 通报 as it was issued (written now if its file is missing: one
    issued before 通报 were kept, or whose writing failed); a draft 通报 and the 曝光版 built afresh."""
    label = "督查通报" if variant == "bulletin" else "曝光"
    if variant == "bulletin" and rnd.bulletin_number:
        path = issued_path(rnd)
        if not path.is_file():
            keep_issued(rnd)
        return pdf_file(path, f"{rnd.name}{label}.pdf", stem=f"round-{rnd.id}-{variant}")
    return pdf_bytes(render(rnd, variant), f"round-{rnd.id}-{variant}.pdf", f"{rnd.name}{label}.pdf")


__all__ = ["render", "bulletin_document", "exposure_document", "pdf_response", "ChecklistItem"]
