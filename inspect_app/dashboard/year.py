"""The year in figures (年度工作数据), for the office's year-end report (年度总结) and its leaders.

Every December the office writes up its year: how many problems were found and by which channel, how many were
put right and on time, how many 督办函 went out and at which level, who was summoned (约谈) or referred (问责), how
many re-checks found a problem back (回潮), the assessment rounds and their scores, the red/black lists, what
citizens and the 12345 hotline sent in, and what the inspectors did. `year_report` counts all of it for one year
(up to `now` for the year under way) in a few grouped statements, and `summary_text` writes the paragraph the
report opens with.

Counting rules: a problem belongs to the year it was found in (reported_at, Shanghai), voided ones (作废) left
out; the rates are over 应结案 (problems whose deadline fell in the year and has passed, as the 领导看板's 按期结案率
counts them): 结案率 = those of them closed, 按期结案率 = those closed and rectified by the deadline; letters are
counted when issued, one letter one 期; rounds when opened; a site once per round it was scored in; red/black
lists by the period they rank (December's, out in January, is its year's, as in the rankings' 年度汇总); a
专项整治行动 by the problems it found within the year (one that runs into the next year is counted in each for its
own part).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import distinct, func, or_, select

from ..common.dayspan import DaySpan
from ..common.numbers import round_half_up
from ..common.sql import by_code_point, count_where
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..rankings.counts import flags
from ..tickets.models import Ticket
from ..tickets.rules import SOURCES
from ..units.models import Category, Segment

TOP = 5  # categories and districts listed by name
EARLIEST = 2000  # the first year ?year= accepts (an earlier one: 400)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def first_year(now: datetime) -> int:
    """The earliest year the page's 上一年 link goes back to: that of the oldest thing its figures count (a problem
    found, a report received, a letter issued, a round opened, a red/black list), this year when there is none,
    and never before EARLIEST (a year the page refuses)."""
    oldest = [db.session.scalar(select(func.min(Ticket.reported_at)))]
    try:
        from ..intake.models import IntakeItem
        oldest.append(db.session.scalar(select(func.min(IntakeItem.received_at))))
    except ImportError:
        pass
    try:
        from ..escalation.models import Letter
        oldest.append(db.session.scalar(select(func.min(Letter.issued_at)).where(Letter.status != "draft")))
    except ImportError:
        pass
    try:
        from ..assessment.models import Round
        oldest.append(db.session.scalar(select(func.min(Round.created_at))))
    except ImportError:
        pass
    years = [local(moment).year for moment in oldest if moment is not None]
    try:
        from ..rankings.models import Ranking
        period = db.session.scalar(select(func.min(Ranking.period)))  # "2026-11" or "2026-W48": the year first
        if period:
            years.append(int(period[:4]))
    except ImportError:
        pass
    this_year = local(now).year
    return max(EARLIEST, min(years + [this_year]))


def year_report(year: int, now: datetime) -> dict:
    start = local_midnight(date(year, 1, 1))
    stop = min(local_midnight(date(year + 1, 1, 1)), now)
    report = {"year": year, "start": start, "stop": stop, "under_way": stop < local_midnight(date(year + 1, 1, 1)),
              "stop_day": local(stop).date()}
    report["problems"] = _problems(start, stop)
    report["escalation"] = _escalation(start, stop)
    report["assessment"] = _assessment(start, stop)
    report["rankings"] = _rankings(year)
    report["intake"] = _intake(start, stop)
    report["campaigns"], report["campaign_problems"] = _campaigns(start, stop, now)
    report["inspectors"] = _inspectors(year, stop)
    # 督查通报: the letters feature's and the assessment rounds' (a round's numbered bulletin)
    report["bulletins"] = (report["escalation"] or {}).get("bulletin", 0) + \
        (report["assessment"] or {}).get("bulletins", 0)
    return report


def _problems(start: datetime, stop: datetime) -> dict:
    found = (Ticket.reported_at >= start) & (Ticket.reported_at < stop) & (Ticket.status != "cancelled")
    by_source = []
    totals = {"found": 0, "rework": 0}
    for source, n, rework in db.session.execute(
            select(Ticket.source, func.count(), func.coalesce(func.sum(Ticket.rework_count), 0))
            .where(found).group_by(Ticket.source)):
        by_source.append({"source": source, "label": SOURCES.get(source, source), "found": int(n)})
        totals["found"] += int(n)
        totals["rework"] += int(rework)
    order = list(SOURCES)
    by_source.sort(key=lambda r: (-r["found"], order.index(r["source"]) if r["source"] in order else len(order)))
    categories = [{"name": name, "found": int(n)} for name, n in db.session.execute(
        select(Category.name, func.count()).select_from(Ticket).join(Category, Category.id == Ticket.category_id)
        .where(found)
        .group_by(Category.name).order_by(func.count().desc(), by_code_point(Category.name)).limit(TOP))]
    districts = [{"name": name, "found": int(n)} for name, n in db.session.execute(
        select(Segment.district, func.count()).select_from(Ticket).join(Segment, Segment.id == Ticket.segment_id)
        .where(found)
        .group_by(Segment.district).order_by(func.count().desc(), by_code_point(Segment.district)).limit(TOP))]
    cancelled = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.reported_at >= start, Ticket.reported_at < stop, Ticket.status == "cancelled")) or 0
    # 应结案: the deadline fell in the year and has passed (stop is now for the year under way), as the 领导看板
    cond = flags(stop)
    due, due_closed, on_time_closed = db.session.execute(
        select(func.count(), count_where(cond["closed"]), count_where(cond["on_time"]))
        .where(Ticket.deadline >= start, Ticket.deadline < stop, Ticket.status != "cancelled",
               Ticket.unit_id.is_not(None))).one()
    due, due_closed, on_time_closed = int(due), int(due_closed or 0), int(on_time_closed or 0)
    return {**totals, "cancelled": int(cancelled), "by_source": by_source, "categories": categories,
            "districts": districts, "due": due, "due_closed": due_closed, "on_time_closed": on_time_closed,
            "closed_rate": _rate(due_closed, due), "on_time_rate": _rate(on_time_closed, due)}


def _escalation(start: datetime, stop: datetime) -> dict | None:
    try:
        from ..escalation.models import Interview, Letter, LetterItem, LetterUnit, Recheck, Referral
        from ..tickets.relapse import TicketRelapse
    except ImportError:
        return None
    issued = (Letter.status != "draft") & (Letter.issued_at >= start) & (Letter.issued_at < stop)
    letters = {"supervision": 0, "listed": 0, "summons": 0, "bulletin": 0}
    for step, n in db.session.execute(select(Letter.step, func.count()).where(issued).group_by(Letter.step)):
        letters[step] += int(n)
    units = db.session.scalar(
        select(func.count(distinct(LetterUnit.unit_id))).select_from(LetterUnit)
        .join(Letter, Letter.id == LetterUnit.letter_id).where(issued, Letter.escalates))
    items, cleared = db.session.execute(
        select(func.count(), count_where(LetterItem.outcome == "cleared")).select_from(LetterItem)
        .join(Letter, Letter.id == LetterItem.letter_id).where(issued, Letter.escalates)).one()
    interviews = db.session.scalar(select(func.count()).select_from(Interview).where(
        Interview.status == "held", Interview.scheduled_at >= start, Interview.scheduled_at < stop)) or 0
    interviewed = db.session.scalar(select(func.count(distinct(Interview.unit_id))).where(
        Interview.status == "held", Interview.scheduled_at >= start, Interview.scheduled_at < stop)) or 0
    referrals = db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.referred_at >= start, Referral.referred_at < stop)) or 0
    rechecked, failed = db.session.execute(
        select(func.count(), count_where(Recheck.status == "failed"))
        .where(Recheck.status != "open", Recheck.done_at >= start, Recheck.done_at < stop)).one()
    relapses = db.session.scalar(select(func.count()).select_from(TicketRelapse).where(
        TicketRelapse.created_at >= start, TicketRelapse.created_at < stop)) or 0
    return {**letters, "letters": letters["supervision"] + letters["listed"] + letters["summons"],
            "units": int(units or 0), "problems": int(items), "cleared": int(cleared),
            "interviews": int(interviews), "interviewed_units": int(interviewed), "referrals": int(referrals),
            "rechecked": int(rechecked), "recheck_failed": int(failed), "relapses": int(relapses)}


def _assessment(start: datetime, stop: datetime) -> dict | None:
    try:
        from ..assessment import findings
        from ..assessment.models import KINDS, Result, Round, RoundSite
    except ImportError:
        return None
    in_year = (Round.created_at >= start) & (Round.created_at < stop)
    by_kind = [{"kind": kind, "label": KINDS.get(kind, kind), "rounds": int(n)} for kind, n in db.session.execute(
        select(Round.kind, func.count()).where(in_year).group_by(Round.kind).order_by(func.count().desc()))]
    sites, average = db.session.execute(
        select(func.count(), func.avg(findings.score())).select_from(RoundSite)
        .join(Round, Round.id == RoundSite.round_id).where(in_year, RoundSite.status == "submitted")).one()
    failed = db.session.scalar(
        select(func.count()).select_from(Result).join(RoundSite, RoundSite.id == Result.round_site_id)
        .join(Round, Round.id == RoundSite.round_id).where(in_year, findings.standing())) or 0
    bulletins = db.session.scalar(select(func.count()).select_from(Round).where(
        Round.bulletin_issued_at >= start, Round.bulletin_issued_at < stop)) or 0
    return {"rounds": sum(k["rounds"] for k in by_kind), "by_kind": by_kind, "sites": int(sites),
            "bulletins": int(bulletins),
            "average": round_half_up(float(average), 1) if average is not None else None,
            "failed_items": int(failed)}


def _inspectors(year: int, stop: datetime) -> dict | None:
    """The inspectors' year, as the 督查员工作量 page counts it: those with any work, what they found (作废 left out,
    as above), their verifications and the average wait."""
    try:
        from ..workload.services import inspectors_work
    except ImportError:
        return None
    period = DaySpan(date(year, 1, 1), local(stop - timedelta(microseconds=1)).date())
    rows, total = inspectors_work(period)
    try:
        from ..patrols.services import check_in_counts
        checkins, walked = check_in_counts(period.start, stop)
    except ImportError:
        checkins, walked = 0, 0
    return {"people": sum(1 for w in rows if w.filed or w.verified or w.sites), "found": total.valid,
            "verified": total.verified, "rejected": total.rejected, "sites": total.sites,
            "average_wait_hours": total.average_wait_hours, "first": period.first, "last": period.last,
            "checkins": checkins, "walked": walked}


def _rankings(year: int) -> dict | None:
    try:
        from ..rankings.annual import early_text, year_summary
        from ..rankings.models import Ranking
    except ImportError:
        return None
    weeks = db.session.scalar(select(func.count(distinct(Ranking.period))).where(
        Ranking.kind == "week", Ranking.period.like(f"{year:04d}-W%"))) or 0  # ISO weeks: 2026-W53 ends 3 Jan
    summary = year_summary(year)
    units = [u for _, members in summary.groups for u in members]
    return {"monthly": len(summary.months), "weekly": int(weeks),
            "red": sum(u.red for u in units), "black": sum(u.black for u in units),
            "months": summary.months, "early": early_text(summary)}


def _intake(start: datetime, stop: datetime) -> dict | None:
    """{source: {label, received, accepted, merged, declined, pending, moderated}}: what came in by each channel and,
    for those the office reviews (MODERATED), what became of it, 待审核 (pending) being what is not decided yet."""
    try:
        from ..intake.models import DECIDED, INTAKE_SOURCES, MODERATED, IntakeItem
    except ImportError:
        return None
    rows = {source: {"label": label, "received": 0, "accepted": 0, "merged": 0, "declined": 0}
            for source, label in INTAKE_SOURCES.items()}
    for source, status, n in db.session.execute(
            select(IntakeItem.source, IntakeItem.status, func.count())
            .where(IntakeItem.received_at >= start, IntakeItem.received_at < stop)
            .group_by(IntakeItem.source, IntakeItem.status)):
        row = rows.setdefault(source, {"label": source, "received": 0, "accepted": 0, "merged": 0, "declined": 0})
        row["received"] += int(n)
        if status in DECIDED:
            row[status] += int(n)
    for source, row in rows.items():
        row["pending"] = row["received"] - row["accepted"] - row["merged"] - row["declined"]
        row["moderated"] = source in MODERATED
    return rows


def _campaigns(start: datetime, stop: datetime, now: datetime) -> tuple[list[dict], int]:
    """Each campaign of the year with its problems found in the year, and how many problems they found together:
    one problem inside two campaigns at once (a citywide 牛皮癣 action and a district's own) is one problem."""
    try:
        from ..campaigns.progress import found_condition
        from ..tickets.campaigns import Campaign
    except ImportError:
        return [], 0
    first, last = local(start).date(), local(stop).date()
    found = db.session.scalars(select(Campaign).where(Campaign.start_date <= last, Campaign.end_date >= first)
                               .order_by(Campaign.start_date, Campaign.id)).all()
    in_year = (Ticket.reported_at >= start) & (Ticket.reported_at < stop)
    today = local(now).date()
    out = []
    for campaign in found:  # a handful a year
        total, closed = (int(v or 0) for v in db.session.execute(
            select(func.count(Ticket.id), count_where(Ticket.status == "closed"))
            .where(found_condition(campaign), in_year)).one())  # voided ones are not problems found
        out.append({"name": campaign.name, "start": campaign.start_date, "end": campaign.end_date,
                    "status": campaign.status(today), "total": total, "closed": closed,
                    "closed_rate": round_half_up(closed / total * 100, 1) if total else None,
                    "spans_years": campaign.start_date.year != campaign.end_date.year})
    together = db.session.scalar(select(func.count(Ticket.id)).where(
        or_(*(found_condition(campaign) for campaign in found)), in_year)) if found else 0
    return out, int(together or 0)


def _pct(value: float | None) -> str:
    from ..rankings.scoring import pct

    return "—" if value is None else pct(value)


def _handled(row: dict) -> str:
    """What became of what came in, in figures that add up to it: 受理N件 (转办 and 并入已有问题 when some were the
    same problem as one being handled already), 不予受理 and 待审核 when there are any."""
    taken = row["accepted"] + row["merged"]
    how = "、".join(f"{label}{n}件" for label, n in (("转办", row["accepted"]), ("并入已有问题", row["merged"])) if n)
    parts = [f"受理{taken}件" + (f"（{how}）" if row["merged"] else "")]
    parts += [f"{label}{n}件" for label, n in (("不予受理", row["declined"]), ("待审核", row["pending"])) if n]
    return "、".join(parts)


def summary_text(report: dict) -> str:
    """The report's opening paragraph in the office's words, to copy into the 年度总结; figures that are zero
    for a whole feature (no rounds, no lists) leave their sentence out, and a year with nothing at all says so."""
    p = report["problems"]
    year = report["year"]
    stop = local(report["stop"])
    when = f"{year}年（截至{stop.month}月{stop.day}日）" if report["under_way"] else f"{year}年"
    closed = (f"已结案{p['due_closed']}件，结案率{_pct(p['closed_rate'])}，按期结案{p['on_time_closed']}件，"
              f"按期结案率{_pct(p['on_time_rate'])}")
    if p["found"]:
        channels = "、".join(s["label"] for s in p["by_source"][:4])
        first = (f"{when}，市文明办通过{channels}等渠道共发现城市管理问题{p['found']}件；应结案{p['due']}件，"
                 f"{closed}；返工{p['rework']}次。")
    elif p["due"]:  # nothing found in the year, but problems found before it fell due in it
        first = f"{when}，没有新发现城市管理问题；往年发现、本年到期应结案{p['due']}件，{closed}。"
    else:
        first = f"{when}，没有发现城市管理问题，也没有到期应结案的问题。"
    parts = [first]
    w = report.get("inspectors")
    if w and w["people"]:
        checked = f"，核查整改反馈{w['verified']}件次" if w["verified"] else ""
        sent_back = f"，其中退回返工{w['rejected']}件次" if w["rejected"] else ""
        walked = f"，巡查打卡{w['checkins']}次、涉及责任路段{w['walked']}条" if w["checkins"] else ""
        parts.append(f"{w['people']}名督查员上报问题{w['found']}件{checked}{sent_back}{walked}。")
    e = report["escalation"]
    if e and e["letters"]:
        levels = "、".join(f"{label}{e[key]}期" for key, label in (("listed", "挂牌督办"), ("summons", "约谈通知"))
                           if e[key])
        parts.append(f"下发督办函{e['letters']}期" + (f"（其中{levels}）" if levels else "") +
                     f"，涉及责任单位{e['units']}个、问题{e['problems']}件，已销号{e['cleared']}件。")
    if report["bulletins"]:
        parts.append(f"印发督查通报{report['bulletins']}期。")
    held = [text for text, n in ((f"约谈责任单位{e['interviewed_units']}个", e["interviews"]),
                                 (f"移交问责{e['referrals']}起", e["referrals"])) if n] if e else []
    if held:
        parts.append("，".join(held) + "。")
    if e and e["rechecked"]:
        parts.append(f"开展“回头看”复查{e['rechecked']}件，发现回潮{e['recheck_failed']}件。")
    a = report["assessment"]
    if a and a["rounds"]:
        kinds = "、".join(f"{k['label']}{k['rounds']}轮" for k in a["by_kind"])
        parts.append(f"组织{kinds}，实地测评点位{a['sites']}个次" +
                     (f"，平均得分{a['average']:g}分" if a["average"] is not None else "") +
                     f"，发现不达标项{a['failed_items']}项，均已转为整改任务。")
    r = report["rankings"]
    if r and (r["monthly"] or r["weekly"]):
        lists = "、".join(f"{label}{r[key]}期" for key, label in (("monthly", "月榜"), ("weekly", "周榜")) if r[key])
        parts.append(f"发布红黑榜{lists}" + (f"，月榜中责任单位上红榜{r['red']}个次、上黑榜{r['black']}个次"
                                             if r["monthly"] else "") + "。"
                     + (f"{r['early']}。" if r["early"] else ""))
    i = report["intake"]
    channels = [(label, i[source]) for source, label in (("citizen", "市民随手拍"), ("hotline", "12345热线工单"))
                if i and i[source]["received"]]
    if channels:
        said = [f"{label}{row['received']}件，{_handled(row)}" for label, row in channels]
        parts.append("收到" + "；".join(said) + "。")
    superior = (i or {}).get("superior")
    if superior and superior["received"]:
        handed = ("已全部交办责任单位整改" if superior["accepted"] + superior["merged"] == superior["received"]
                  else f"已交办责任单位整改{superior['accepted'] + superior['merged']}件")
        parts.append(f"收到上级测评反馈问题{superior['received']}件，{handed}。")
    if report["campaigns"]:
        campaigns = report["campaigns"]
        names = "、".join(c["name"] if "“" in c["name"] else f"“{c['name']}”" for c in campaigns[:4])
        parts.append(f"开展{names}{'等' if len(campaigns) > 4 else ''}{len(campaigns)}项专项整治行动，"
                     f"发现整治问题{report['campaign_problems']}件。")
    if len(parts) == 1 and not (p["found"] or p["due"] or p["cancelled"]):
        return f"{when}，系统中没有问题发现、整改、督办、测评、红黑榜或市民参与等工作记录。"
    return "".join(parts)


YEAR_END_UNTIL = 15  # January's days the year-end card still shows


def report_year(now: datetime) -> int:
    """The year the figures open on: last year until 15 January (the office is writing it up then, and the new
    year has a few days in it), this year after."""
    today = local(now).date()
    return today.year - 1 if today.month == 1 and today.day <= YEAR_END_UNTIL else today.year


def year_end_tasks(now: datetime) -> dict | None:
    """From 1 December to 15 January, what the office owes its year's end: next year's holidays entered, the
    year's twelve monthly lists published (December's comes out in January), the year's figures for the report.
    None the rest of the year."""
    year = report_year(now)  # last year in January's first days
    if year == local(now).year and local(now).month != 12:
        return None
    from ..office.holidays import year_known

    published = _months_published(year)
    since = _first_month(year)
    first = min([since or 12, *published])  # no problem yet: December's list is owed (and any published)
    ended = 12 if year < local(now).year else local(now).month - 1  # December's list comes out in January
    return {"year": year, "holidays_known": year_known(year + 1), "months": len(published), "first_month": first,
            "since": since, "missing": [m for m in range(first, ended + 1) if m not in published],
            "done": all(m in published for m in range(first, 13))}


def _months_published(year: int) -> set[int]:
    """The months of the year whose monthly list is out (the office's start page asks every visit)."""
    try:
        from ..rankings.models import Ranking
    except ImportError:
        return set()
    return {int(period[5:7]) for period in db.session.scalars(select(distinct(Ranking.period)).where(
        Ranking.kind == "month", Ranking.period.like(f"{year:04d}-%")))}


def _first_month(year: int) -> int | None:
    """The year's first month with a problem filed: an office that started in November owes no list for January
    to October (1 when it was at work before the year began; None before its first problem)."""
    first = db.session.scalar(select(func.min(Ticket.reported_at)))
    if first is None:
        return None
    started = local(first)
    return 1 if started.year < year else started.month if started.year == year else 12


SHEET_COLUMNS = ["板块", "指标", "数值"]


def sheet_rows(report: dict) -> list[list]:
    """The year's figures as a statistics table (板块, 指标, 数值), for the report's annex and for 报送."""
    p, e, a, r, i = (report[k] for k in ("problems", "escalation", "assessment", "rankings", "intake"))
    pct = lambda v: "" if v is None else round(v * 100, 1)  # noqa: E731
    rows = [["问题发现与整改", "发现问题（件）", p["found"]], ["问题发现与整改", "作废（件）", p["cancelled"]],
            ["问题发现与整改", "应结案（件）", p["due"]], ["问题发现与整改", "已结案（件）", p["due_closed"]],
            ["问题发现与整改", "结案率（%）", pct(p["closed_rate"])],
            ["问题发现与整改", "按期结案（件）", p["on_time_closed"]],
            ["问题发现与整改", "按期结案率（%）", pct(p["on_time_rate"])],
            ["问题发现与整改", "返工（次）", p["rework"]]]
    rows += [["问题来源", s["label"], s["found"]] for s in p["by_source"]]
    rows += [["问题类别（前5）", c["name"], c["found"]] for c in p["categories"]]
    rows += [["区县（前5）", d["name"], d["found"]] for d in p["districts"]]
    if e:
        rows += [["督办问责", label, e[key]] for key, label in (
            ("letters", "督办函（期）"), ("listed", "其中挂牌督办（期）"), ("summons", "其中约谈通知（期）"),
            ("units", "涉及责任单位（个）"), ("problems", "督办问题（件）"), ("cleared", "已销号（件）"),
            ("interviewed_units", "约谈单位（个）"), ("referrals", "移交问责（起）"), ("rechecked", "回头看（件）"),
            ("recheck_failed", "回头看发现回潮（件）"), ("relapses", "全年回潮（件）"))]
    rows.append(["督办问责", "督查通报（期）", report["bulletins"]])
    w = report.get("inspectors")
    if w:
        average = w["average_wait_hours"]
        rows += [["督查工作", "督查员（名）", w["people"]], ["督查工作", "督查员上报问题（件）", w["found"]],
                 ["督查工作", "核查整改反馈（件次）", w["verified"]],
                 ["督查工作", "其中退回返工（件次）", w["rejected"]],
                 ["督查工作", "平均核查用时（小时）", "" if average is None else round(average, 1)],
                 ["督查工作", "巡查打卡（次）", w["checkins"]], ["督查工作", "打卡涉及责任路段（条）", w["walked"]]]
    if a:
        rows += [["文明测评", f"{k['label']}（轮）", k["rounds"]] for k in a["by_kind"]]
        rows += [["文明测评", "测评点位（个次）", a["sites"]],
                 ["文明测评", "平均得分", "" if a["average"] is None else a["average"]],
                 ["文明测评", "不达标项（项）", a["failed_items"]]]
    if r:
        rows += [["红黑榜", "月榜（期）", r["monthly"]], ["红黑榜", "周榜（期）", r["weekly"]],
                 ["红黑榜", "月榜上红榜（个次）", r["red"]], ["红黑榜", "月榜上黑榜（个次）", r["black"]]]
    if i:  # as the page's table: what came in by each channel, and what became of it where the office reviews it
        for row in i.values():
            rows += [["市民参与", f"{row['label']}收到（件）", row["received"]]]
            if row["moderated"]:
                rows += [["市民参与", f"{row['label']}{label}（件）", row[key]] for key, label in (
                    ("accepted", "转办"), ("merged", "并入已有问题"), ("declined", "不予受理"), ("pending", "待审核"))]
    for c in report["campaigns"]:  # as the page's table: found, closed, and the rate
        rows += [["专项整治行动", f"{c['name']}：发现问题（件）", c["total"]],
                 ["专项整治行动", f"{c['name']}：已结案（件）", c["closed"]],
                 ["专项整治行动", f"{c['name']}：结案率（%）", "" if c["closed_rate"] is None else c["closed_rate"]]]
    if report["campaigns"]:
        rows += [["专项整治行动", "各行动共发现问题（件，同属几项行动的问题计一次）", report["campaign_problems"]]]
    return rows
