"""The demo's 创建任务清单: the year's task breakdown from the assessment's checklist, split between the municipal
units that lead and the units that assist, with the year's monthly reports — most tasks done and reviewed, some
waiting for the office's review, a few behind or silent this month. Made through the same services the pages use.

Runs only while there is no task; a second run adds nothing.
"""
from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..auth.models import User
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..keytasks import services
from ..keytasks.models import KeyTask
from ..pdf.fonts import draw_string, register_fonts
from ..sites.models import SiteKind
from ..units.models import Unit
from .activity import PHOTOS_DIR

# (code, 测评项目, 任务内容, 测评方法, 完成标准及佐证材料, lead, assisting units, due (month, day) or None)
TASKS = [
    ("1.1.1", "社会主义核心价值观宣传", "主次干道、商业大街、公交站点公益广告占比不低于20%，内容规范、无破损", "实地考察",
     "公益广告点位台账、现场照片", "SZ18", ["SZ01", "SZ37", "SZ21"], (6, 30)),
    ("1.2.3", "理论宣讲", "组织基层理论宣讲进社区、进企业，全年不少于200场", "材料审核", "宣讲活动台账、图片、新闻报道",
     "SZ18", ["SZ39", "SZ40"], (11, 30)),
    ("2.1.2", "志愿服务", "城市社区志愿服务站全覆盖，注册志愿者占城市常住人口比例不低于13%", "网上申报",
     "志愿服务信息系统截图、站点名单", "SZ39", ["SZ17"], (9, 30)),
    ("2.3.1", "未成年人思想道德建设", "乡村学校少年宫正常运行，中小学开足开好道德与法治课", "材料审核",
     "少年宫运行记录、课程表", "SZ10", ["SZ39"], (10, 31)),
    ("3.1.4", "公共文化设施", "图书馆、文化馆、博物馆免费开放，开放时间规范公示", "实地考察", "开放时间公示照片、接待台账",
     "SZ12", [], None),
    ("3.2.1", "农贸市场", "全市农贸市场划行归市，地面无积水无垃圾，无活禽散养，公益广告规范", "实地考察",
     "市场管理制度、整改前后照片、日常巡查台账", "SZ07", ["SZ01", "SZ04"], (8, 31)),
    ("3.2.2", "公共厕所", "公共厕所无明显异味，设施完好，有洗手设施，洗手液、厕纸配备", "实地考察",
     "保洁作业台账、现场照片", "SZ04", ["SZ01"], (12, 31)),
    ("3.2.5", "背街小巷", "背街小巷无乱堆乱放、无牛皮癣、无蜘蛛网，路面平整", "实地考察", "整治清单、整改前后照片",
     "SZ01", ["SZ05", "SZ24"], (11, 15)),
    ("3.3.2", "交通秩序", "主要路口机动车礼让斑马线，非机动车、行人各行其道", "实地考察", "执法数据、路口照片",
     "SZ03", ["SZ08"], None),
    ("3.3.4", "公交站点", "公交站亭整洁完好，线路信息清晰，无小广告", "实地考察", "站亭维护台账", "SZ21", ["SZ08"], (7, 31)),
    ("3.4.1", "老旧小区", "老旧小区楼道无堆积物，公共设施完好，有物业或准物业管理", "实地考察", "小区改造清单、照片",
     "SZ02", ["SZ19"], (12, 20)),
    ("3.4.3", "建筑工地", "建筑工地围挡规范，设置公益广告，出入口硬化、车辆冲洗", "实地考察", "工地检查台账",
     "SZ02", ["SZ36"], (9, 30)),
    ("3.5.2", "窗口单位", "政务服务大厅文明服务，设置便民设施，服务规范公开", "实地考察", "服务规范、现场照片",
     "SZ28", [], (6, 30)),
    ("3.5.4", "医院", "医院秩序良好，文明就医宣传到位，无烟医院建设达标", "实地考察", "检查记录、照片", "SZ13", [],
     (10, 31)),
    ("3.6.1", "学校周边", "学校周边200米内无网吧、无流动摊贩，上下学时段交通有序", "实地考察", "联合检查记录",
     "SZ10", ["SZ09", "SZ07"], (9, 1)),
    ("4.1.2", "诚信建设", "建立诚信红黑名单制度，定期发布失信联合惩戒案例", "材料审核", "制度文件、发布截图", "SZ07",
     ["SZ31"], (11, 30)),
    ("4.2.1", "食品安全", "食品安全监督抽检合格率达到98%以上", "材料审核", "抽检数据报告", "SZ07", [], (12, 31)),
    ("5.1.3", "生态环境", "城市空气质量优良天数比例达到省下达目标", "材料审核", "监测数据报告", "SZ15", [], (12, 31)),
    ("5.2.2", "园林绿化", "主次干道绿化带无黄土裸露、无枯死苗木", "实地考察", "养护台账、照片", "SZ06", [], None),
    ("5.3.1", "城市照明", "主次干道路灯亮灯率不低于98%", "实地考察", "巡查记录", "SZ26", ["SZ24"], (10, 31)),
    ("6.1.1", "公共安全", "应急避难场所标识清晰，消防通道畅通", "实地考察", "检查台账、照片", "SZ32", ["SZ33"], (11, 20)),
    ("6.2.4", "市民满意度", "市民对创建工作的知晓率、支持率、满意度均不低于90%", "问卷调查", "问卷调查报告",
     "SZ18", ["SZ17"], (12, 15)),
]
# the site type the assessors check a 实地考察 task at (its rounds' results show on the task's page)
SITE_KINDS = {"3.1.4": "文化场馆", "3.2.1": "农贸市场", "3.2.2": "公共厕所", "3.2.5": "背街小巷", "3.3.2": "主次干道",
              "3.3.4": "车站/公交站点", "3.4.1": "居民小区", "3.4.3": "建筑工地", "3.5.2": "窗口单位", "3.5.4": "医院",
              "3.6.1": "学校周边", "5.2.2": "主次干道"}
PENDING = ("1.2.3", "4.1.2")  # reported done a day or three ago: waiting for the office's review
RETURNED = {"3.2.5": "缺少化龙池巷、太平街两处整改后照片，请补充后再申请。"}  # sent back, now behind its time limit
PROGRESS_TEXTS = ["已制定工作方案，明确责任科室和时间节点。", "已完成摸底排查，建立问题清单，正在逐项整改。",
                  "已完成大部分点位整改，剩余点位正在推进。", "已组织联合检查一次，发现问题已当场交办。"]


def _material_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page 佐证材料 the unit would scan or export: a title and its lines."""
    fonts = register_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    draw_string(page, 72, 760, title, fonts.heading, 16)
    for index, line in enumerate(lines):
        draw_string(page, 72, 720 - 22 * index, line, fonts.body, 12)
    page.showPage()
    page.save()
    return out.getvalue()


def _files(task: KeyTask, rng: random.Random) -> list[FileStorage]:
    photo = sorted(PHOTOS_DIR.glob("*.jpg"))[rng.randrange(5)]
    pdf = _material_pdf(f"{task.indicator}工作台账", [f"任务编号：{task.code}", f"牵头单位：{task.lead_unit.name}",
                                                    task.content[:30], "（演示材料）"])
    return [FileStorage(io.BytesIO(photo.read_bytes()), "现场照片.jpg"),
            FileStorage(io.BytesIO(pdf), f"{task.indicator}工作台账.pdf")]


def seed_key_tasks(now: datetime, seed: int = 74) -> dict:
    counts = {"tasks": 0, "done": 0, "submitted": 0, "lagging": 0, "reports": 0}
    if db.session.scalar(select(KeyTask.id).limit(1)) is not None:
        return counts
    rng = random.Random(seed)
    year = local(now).year
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind))}
    clerks = {}
    for user in db.session.scalars(select(User).where(User.role == "unit", User.active.is_(True)).order_by(User.id)):
        clerks.setdefault(user.unit_id, user)
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id).limit(1))
    start = local_midnight(date(year, 3, 1))
    for code, indicator, content, method, standard, lead, assists, due in TASKS:
        if lead not in units:
            continue
        task = services.save_task(services.TaskValues(
            year, code, indicator, content, method, standard, units[lead],
            [units[a] for a in assists if a in units], date(year, *due) if due else None,
            kinds.get(SITE_KINDS.get(code, ""))), start)
        counts["tasks"] += 1
        lead_clerk = clerks.get(task.lead_unit_id)
        if lead_clerk is None:
            continue
        finish = local_midnight(task.due_on) - timedelta(days=rng.randrange(3, 20)) if task.due_on else None
        finished = (finish is not None and finish < now and rng.random() < 0.8) or code in RETURNED
        if code in PENDING:
            finished, finish = True, now - timedelta(days=rng.randrange(1, 4), hours=rng.randrange(1, 8))
        month, progress = start, 0
        while month < now - timedelta(days=2):
            when = month + timedelta(days=rng.randrange(3, 25), hours=rng.randrange(9, 17))
            if when >= now or (finished and when >= finish):
                break
            skip = rng.random() < 0.15
            if not skip:
                progress = min(progress + rng.choice((10, 10, 15, 20)), 90)
                services.report(lead_clerk, task, when, rng.choice(PROGRESS_TEXTS), progress)
                counts["reports"] += 1
            for assist in task.assist_units[:1]:
                if assist.id in clerks and rng.random() < 0.5:
                    services.report(clerks[assist.id], task, when + timedelta(hours=2), "已按牵头单位要求完成本单位负责部分。")
                    counts["reports"] += 1
            month = local_midnight((local(month).date().replace(day=1) + timedelta(days=32)).replace(day=1))
        if finished:
            services.report(lead_clerk, task, finish, "任务已全部完成，佐证材料见附件，申请销号。", claims_done=True,
                            files=_files(task, rng))
            counts["reports"] += 1
            if code in RETURNED:
                services.review(admin, task, _reviewed(finish, 2, now), "returned", RETURNED[code])
            elif code in PENDING:
                counts["submitted"] += 1
            else:
                services.review(admin, task, _reviewed(finish, 3, now), "accepted")
                counts["done"] += 1
        if task.status == "open" and task.due_on and task.due_on < local(now).date():
            counts["lagging"] += 1
    db.session.flush()
    return counts


def _reviewed(finish: datetime, days: int, now: datetime) -> datetime:
    """The office reviews a request `days` after it, or by half an hour ago when that would be in the future (a
    task done a day before the demo was loaded was reviewed on 9 December, three days ahead)."""
    return max(finish + timedelta(minutes=30), min(finish + timedelta(days=days), now - timedelta(minutes=30)))


def summary_line(counts: dict) -> str:
    return (f"创建任务 {counts['tasks']} 项（已销号 {counts['done']} 项，待审核 {counts['submitted']} 项，"
            f"滞后 {counts['lagging']} 项），进展报送 {counts['reports']} 次。")
