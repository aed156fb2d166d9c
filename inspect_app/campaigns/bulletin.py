"""A campaign's 进展通报 (关于“…”进展情况的通报), a draft in the 文件格式 of GB/T 9704-2012 for the leaders to
approve, as the month's 创建任务 通报 is: 草稿 on every page, no number, no seal. It tells the units where the
campaign stands as of today: what it found and put right, the units with problems past their deadline named, and
what the office asks of them; an attachment gives the weeks.
"""
from __future__ import annotations

from datetime import date, datetime

from ..common.timeutil import local
from ..pdf.document import Attachment, Column, DataTable, Heading, OfficialDocument, Para
from ..pdf.drafts import circular_draft, render_pdf, setting
from ..pdf.official import format_cn_date
from ..tickets.campaigns import Campaign
from . import progress

UNIT_COLUMNS = (Column("责任单位", 52, "label"), Column("发现\n问题", 18, "plain"), Column("已结案", 18, "plain"),
                Column("结案率", 20, "plain"), Column("在办", 16, "plain"), Column("超期\n未整改", 20, "plain"))
WEEK_COLUMNS = (Column("周次", 14, "plain"), Column("时间", 46, "plain"), Column("新发现", 20, "plain"),
                Column("结案", 18, "plain"), Column("周末在办", 22, "plain"), Column("按期\n结案率", 22, "plain"))
NAMED = 5  # units named in the text (all are in the table)


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _quoted(name: str) -> str:
    return name if "“" in name else f"“{name}”"


def _days(week: progress.Week) -> int:
    return (week.last - week.first).days + 1


def _span(week: progress.Week) -> str:
    """11月23日至11月29日; a week cut short by the campaign's dates says its days (11月23日至11月26日，共4天)."""
    days = _days(week)
    return week.span if days == 7 else f"{week.span}，共{days}天"


def _weeks_line(weeks: list[progress.Week]) -> str:
    """The last week done against the one before it, when there are two: 上周 while the campaign runs (its week
    running is the last), 行动最后一周 once it has ended. Two whole weeks are compared; a week cut short by the
    campaign's dates (its first or last) is not set against a whole one: both counts are given, with its days."""
    if not weeks:
        return ""
    ended = not weeks[-1].current
    done = weeks if ended else weeks[:-1]
    if len(done) < 2:
        return ""
    last, before = done[-1], done[-2]
    said = f"{'行动最后一周' if ended else '上周'}（{_span(last)}）新发现问题{last.new}件，"
    if _days(last) < 7 or _days(before) < 7:
        return said + f"前一周（{_span(before)}）新发现{before.new}件。"
    change = last.new - before.new
    return said + (f"比前一周减少{-change}件" if change < 0 else f"比前一周增加{change}件" if change > 0
                   else "与前一周持平") + "。"


def _overall(f: dict) -> str:
    """总体情况 in figures: found (by category), closed, 按期 of those due, still open and overdue; what is not
    there is said plainly (尚无问题到整改期限, 均已整改结案), not as 0件 or a bare dash."""
    split = "、".join(f"{c['name']}{c['total']}件" for c in f["by_category"]) if len(f["by_category"]) > 1 else ""
    due = (f"已到整改期限的{f['due']}件中按期整改{f['on_time']}件，按期结案率{_pct(f['on_time_rate'])}"
           if f["due"] else "尚无问题到整改期限")
    still = ("发现的问题均已整改结案" if not f["open"] else f"尚在整改{f['open']}件"
             + (f"，其中超期未整改{f['overdue']}件" if f["overdue"] else ""))
    return (f"行动开展以来，共发现问题{f['total']}件" + (f"（{split}）" if split else "")
            + f"，已结案{f['closed']}件，结案率{_pct(f['closed_rate'])}；{due}；{still}。" + _weeks_line(f["weeks"]))


def document(campaign: Campaign, now: datetime) -> OfficialDocument:
    """The draft as of `now` (the campaign has begun)."""
    f = progress.figures(campaign, now)
    today = local(now).date()
    short = setting("OFFICE_SHORT_NAME")
    running = f["status"] == "进行中"
    name, place = _quoted(campaign.name), "、".join(campaign.districts) or "全市"
    categories = "、".join(c.name for c in campaign.categories)
    late = [u for u in f["by_unit"] if u["overdue"]]
    numbers = iter("一二三四")
    # 行动至2027年1月5日结束 when it ends in another year than it began
    until = (format_cn_date(campaign.end_date) if campaign.end_date.year != campaign.start_date.year
             else _day(campaign.end_date))
    body = [Para(f"{short}于{format_cn_date(campaign.start_date)}起在{place}开展{name}，集中整治{categories}问题，"
                 + (f"行动至{until}结束。现将截至{_day(today)}的进展情况通报如下。" if running else
                    f"行动已于{format_cn_date(campaign.end_date)}结束。现将行动开展情况通报如下。")),
            Heading(f"{next(numbers)}、总体情况")]
    if f["total"]:
        body.append(Para(_overall(f)))
        pending = [u for u in f["by_unit"] if u["open"]]
        done = len(f["by_unit"]) - len(pending)
        body.append(Heading(f"{next(numbers)}、各单位整改情况"))
        if pending:
            body += [Para(f"尚有问题在整改的{len(pending)}个单位如下（超期未整改问题多的单位排在前面）"
                          + (f"，其余{done}个单位的问题均已整改结案" if done else "") + "："),
                     DataTable(UNIT_COLUMNS, rows=[[u["name"], str(u["total"]), str(u["closed"]),
                                                    _pct(u["closed_rate"]), str(u["open"]), str(u["overdue"] or "")]
                                                   for u in pending], font_size=10)]
        else:
            body.append(Para(f"涉及的{done}个单位的问题均已整改结案。"))
    else:
        body.append(Para("行动开展以来，尚未发现相关问题。"))
    if late:
        named = "、".join(f"{u['name']}（{u['overdue']}件）" for u in late[:NAMED])
        more = f"等{len(late)}个单位" if len(late) > NAMED else ""
        body += [Heading(f"{next(numbers)}、存在的问题"),
                 Para(f"{named}{more}有问题超过整改期限仍未整改，共{f['overdue']}件，整改进度滞后。")]
    elif f["open"]:
        body.append(Para("各责任单位均在整改期限内开展整改，目前没有超期未整改的问题。"))
    body.append(Heading(f"{next(numbers)}、下步工作要求"))
    if late:
        units = "、".join(u["name"] for u in late)
        body.append(Para(f"请{units}于通报之日起3个工作日内将超期问题整改到位，并将整改情况书面报送{short}；"
                         f"逾期仍未整改的，{short}将发函督办，并在红黑榜中予以通报。", lead="（一）限期整改到位。"))
    body.append(Para(
        f"各责任单位要对照{categories}问题，在行动结束前开展自查自纠，做到发现一处、整改一处。" if running else
        f"各责任单位要巩固整治成果，落实日常管理责任，防止问题反弹回潮；{short}将适时开展回头看。",
        lead=(f"（二）{'持续深入整治。' if running else '巩固整治成果。'}" if late else "")))
    body.append(Para("特此通报。"))
    active = any(w.new or w.closed or w.open_at_end for w in f["weeks"])
    attachments = [Attachment(f"{name}逐周情况", [
        Para("周末在办为截至该周末已发现、尚未结案的问题；按期结案率为整改期限在该周内到期的问题中，"
             "在期限内整改到位的比例。", indent=False),
        DataTable(WEEK_COLUMNS, rows=[
            [f"第{n}周", w.span + ("（本周）" if w.current else ""), str(w.new),
             str(w.closed), str(w.open_at_end), _pct(w.on_time_rate)] for n, w in enumerate(f["weeks"], 1)],
            font_size=10)])] if active else []
    title = f"关于{name}{'进展' if running else '开展'}情况的通报"
    return circular_draft(title, ["各有关责任单位"], body, attachments, today)


def render(campaign: Campaign, now: datetime) -> bytes:
    return render_pdf(document(campaign, now))
