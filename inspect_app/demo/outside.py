"""The demo's 门前四包 register, its repeat offenders, a pole three carriers share, reports from outside
(citizens' 随手拍 and 12345 cases) waiting for the office, and the province's assessment feedback entered by the
office — made through the same services the pages use.

Runs only while the register is empty; a second run adds nothing.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..auth.models import User
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..frontages.models import Frontage
from ..intake import hotline
from ..intake import services as intake
from ..intake.models import IntakeItem, IntakePhoto
from ..photos.service import save_files
from ..tickets import parts, services
from ..tickets.models import Ticket
from ..units.models import Category, Segment, Unit
from .activity import after_photo, demo_photos

SHOPS = ["老杨家米粉店", "湘味小炒", "好又多便利店", "福满楼酒家", "阿香水果店", "新华书店五一路店", "兴旺五金",
         "丽人美发", "同仁大药房", "味之源卤菜", "老字号糖油粑粑", "鑫鑫烟酒", "蓝天干洗店", "小胖烧烤",
         "佳佳母婴", "大成电器", "一品茶庄", "悦来客栈", "晨光文具", "快乐汉堡"]
INSTITUTIONS = ["临江银行五一支行", "江城区第一小学", "市第三人民医院", "解放路派出所", "江城区政务服务中心",
                "临江农商银行", "五一路邮政支局", "市少年宫", "江城区图书馆", "解放社区卫生服务站"]
CITIZEN_REPORTS = [
    ("exposed_rubbish", "小区门口垃圾堆了好几天没人清", "韭菜园路与五一大道交叉口东北角", "13975100001"),
    ("bike_parking", "共享单车把盲道全堵了，老人过不去", "五一广场地铁站3号出口", ""),
    ("niupixuan", "电线杆上贴满了办证小广告", "解放西路88号旁电线杆", "13975100002"),
    ("piled_objects", "店门口堆了很多纸箱", "坡子街北口", ""),
    ("manhole", "井盖缺了一角，晚上很危险", "人民东路与车站路路口", "13975100003"),
    (None, "路灯坏了一个星期", "火星小区南门", ""),
]
HOTLINE_CASES = [
    ("GD2026110088", "占道经营", "早市摊贩占用人行道，行人只能走机动车道", "五一大道菜市场门口", "江城区"),
    ("GD2026110093", "蜘蛛网", "电线杆上的线缆垂下来快碰到头了", "解放路与黄兴路交叉口", "江城区"),
    ("GD2026110097", "噪音扰民", "夜宵摊营业到凌晨两点", "坡子街小吃街", "江城区"),
]

POLE_CASE = "GD2026110105"  # the shared pole again, by phone: merged into the inspector's ticket

# The province's assessors found these on their visit and sent them back as a numbered list (上级测评反馈).
SUPERIOR_FEEDBACK_LIST = "2026年省级文明城市测评实地考察反馈问题清单"
SUPERIOR_FEEDBACK = [
    ("第3条", "niupixuan", "公交站亭立柱张贴小广告未清理", "五一大道公交站（东往西方向）"),
    ("第7条", "piled_objects", "背街小巷楼道口堆放废旧家具和纸箱", "化龙池巷12号楼道口"),
]


def seed_outside(now: datetime, seed: int = 15) -> dict:
    """Add the register, its problems, the shared pole and the outside reports, if there is no register yet."""
    counts = {"frontages": 0, "menqian_tickets": 0, "offenders": 0, "notices": 0, "shared_pole": 0, "citizen": 0,
              "hotline": 0, "superior": 0}
    if db.session.scalar(select(Frontage.id).limit(1)) is not None:
        return counts
    rng = random.Random(seed)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    users = {u.unit_id: u for u in db.session.scalars(select(User).where(User.role == "unit").order_by(User.id))}
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    inspectors = list(db.session.scalars(select(User).where(User.role == "inspector").order_by(User.username)))
    if admin is None or not inspectors or "JD0101" not in units:
        raise RuntimeError("演示城市未加载：请先运行 seed-demo。")
    photos = demo_photos()

    # --- 门前四包: thirty frontages on the segments of 江城区's first five street offices
    frontages = []
    names = [(n, "商户") for n in SHOPS] + [(n, "单位") for n in INSTITUTIONS]
    streets = [units[f"JD01{i:02d}"] for i in range(1, 6)]
    for index, (name, kind) in enumerate(names):
        street = streets[index % len(streets)]
        segment = db.session.scalar(select(Segment).where(Segment.unit_id == street.id, Segment.active.is_(True))
                                    .order_by(Segment.id).offset(index // len(streets) % 2).limit(1)) or \
            db.session.scalar(select(Segment).where(Segment.district == "江城区").order_by(Segment.id).limit(1))
        frontage = Frontage(code=f"MQ-{street.code[-2:]}{index + 1:03d}", name=name, kind=kind,
                            address=f"{segment.name.rstrip('东西南北中一二三段')}{10 + index * 2}号",
                            street_unit=street, segment=segment, active=True, created_at=now,
                            signed_on=date(2026, 3, 1) + timedelta(days=index * 3) if index % 7 else None,
                            contact_person=f"{'王李张刘陈杨赵黄'[index % 8]}{'先生' if index % 2 else '女士'}",
                            contact_phone=f"1397310{index:04d}")
        db.session.add(frontage)
        frontages.append(frontage)
    db.session.flush()
    counts["frontages"] = len(frontages)

    # --- 门前四包 problems: three repeat offenders (3-4 problems in 90 days), a few one-offs
    def menqian(frontage: Frontage, when: datetime, fate: str) -> Ticket:
        photo = rng.choice(photos)
        ticket, _ = services.create_ticket(rng.choice(inspectors), services.NewReport(
            category="menqian", photos=[photo], frontage_id=frontage.id,
            description=rng.choice(["门前乱堆纸箱杂物", "店外占道经营", "门前地面油污未清理", "门前车辆乱停"])),
            when)
        if fate in ("rectified", "closed") and ticket.unit_id in users:
            services.rectify(users[ticket.unit_id], ticket, when + timedelta(hours=rng.uniform(1, 2.5)),
                             "已督促商户清理", [after_photo(ticket, photos, rng)])
            if fate == "closed":
                services.approve(rng.choice(inspectors), ticket, when + timedelta(days=1, minutes=rng.randint(0, 60)),
                                 "整改到位")
        counts["menqian_tickets"] += 1
        return ticket

    for frontage, days in ((frontages[0], (75, 40, 12, 2)), (frontages[4], (60, 20, 3)), (frontages[13], (50, 8, 1)),
                           (frontages[2], (30,)), (frontages[7], (100, 5))):
        for n, ago in enumerate(days):
            fate = "closed" if n < len(days) - 1 else rng.choice(("assigned", "rectified"))
            # in the daytime (09:00–15:00 there) of a day at least a day back, as a patrol would find it
            day = local(now - timedelta(days=ago)).date()
            menqian(frontage, local_midnight(day) + timedelta(minutes=rng.randint(9 * 60, 15 * 60)), fate)
    counts["offenders"] = 3
    # a repeat offender's street office gave it a 整改通知书 yesterday, for what is still open
    from ..frontages import notices

    yesterday = now - timedelta(days=1)
    for frontage in (frontages[0], frontages[4], frontages[13]):
        street_user = users.get(frontage.street_unit_id)
        if street_user is not None and notices.open_problems(street_user, frontage):
            notices.issue(street_user, frontage, {"due_on": (local(yesterday) + timedelta(days=3)).date().isoformat()},
                          yesterday)
            counts["notices"] = 1
            break

    # --- a pole three carriers share: 电信 leads, 移动 and 联通 assist; 移动 has done its part
    carriers = [units.get(code) for code in ("QY03", "QY01", "QY02")]
    if all(carriers):
        segment = db.session.scalar(select(Segment).where(Segment.district == "江城区").order_by(Segment.id))
        lat, lon = segment.coords[0][1], segment.coords[0][0]
        pole, _ = services.create_ticket(inspectors[0], services.NewReport(
            category="spider_web", photos=[photos[0]], lat=lat, lon=lon, segment_id=segment.id,
            address=f"{segment.name}12号共用电杆", description="同一电杆上移动、联通、电信线缆缠绕下垂",
            unit_ids=[c.id for c in carriers]), now - timedelta(days=3))
        mobile = users.get(carriers[1].id)
        if mobile is not None:
            parts.rectify_part(mobile, pole, now - timedelta(days=1), "已整理捆扎本公司线缆并挂牌", [photos[1]])
        counts["shared_pole"] = 1

    # --- citizens' 随手拍 waiting for moderation, one declined, one accepted
    items = []
    for index, (code, text, place, phone) in enumerate(CITIZEN_REPORTS):
        category = db.session.scalar(select(Category).where(Category.code == code)) if code else None
        when = now - timedelta(hours=30 - index * 5)
        item = IntakeItem(source="citizen", status="pending", receipt=intake.new_receipt(), category=category,
                          category_text=category.name if category else "其他", description=text, address=place,
                          contact_phone=phone, received_at=when, created_at=when, updated_at=when,
                          device_hash=f"demo-device-{index}", address_hash=f"demo-address-{index % 4}")
        photo = photos[index % len(photos)]
        item.photos.append(IntakePhoto(key=save_files(photo), sha256=photo.sha256, width=photo.width,
                                       height=photo.height, bytes=len(photo.jpeg), created_at=when))
        db.session.add(item)
        items.append(item)
    db.session.flush()
    intake.decline(admin, items[-1], "路灯故障请拨打城市照明服务热线，已转告市城市照明管理处。", now - timedelta(hours=2))
    segment = db.session.scalar(select(Segment).where(Segment.district == "江城区").order_by(Segment.id.desc()))
    intake.accept(admin, items[0], {"category": "exposed_rubbish", "segment_id": str(segment.id)},
                  now - timedelta(hours=1))
    counts["citizen"] = len(items)
    if counts["shared_pole"]:  # a citizen photographs the shared pole too: the queue names it 疑似重复
        when = now - timedelta(hours=3)
        photo = photos[1]
        item = IntakeItem(source="citizen", status="pending", receipt=intake.new_receipt(),
                          category=db.session.get(Category, pole.category_id), category_text="蜘蛛网",
                          description="电线杆上一大团电线垂下来，走路都要低头，请尽快处理", address=pole.address,
                          lat=pole.lat + 0.00005, lon=pole.lon, received_at=when, created_at=when, updated_at=when,
                          device_hash="demo-device-pole", address_hash="demo-address-pole")
        item.photos.append(IntakePhoto(key=save_files(photo), sha256=photo.sha256, width=photo.width,
                                       height=photo.height, bytes=len(photo.jpeg), created_at=when))
        db.session.add(item)
        counts["citizen"] += 1

    # --- 12345 cases, as the hotline's export brings them; one accepted
    for number, kind, text, place, district in HOTLINE_CASES:
        case = hotline.parse_case({"工单编号": number, "受理时间": (now - timedelta(days=1)).isoformat(),
                                   "问题类别": kind, "诉求内容": text, "事发地址": place, "所属区县": district}, now)
        hotline.plan_case(case, now)[2]()
        counts["hotline"] += 1
    db.session.flush()
    first = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == HOTLINE_CASES[0][0]))
    intake.accept(admin, first, {"category": "street_vending", "segment_id": str(segment.id)}, now)
    if counts["shared_pole"]:  # a caller reports the shared pole as well: the office merges it (并案)
        case = hotline.parse_case({"工单编号": POLE_CASE, "受理时间": (now - timedelta(hours=20)).isoformat(),
                                   "问题类别": "蜘蛛网", "诉求内容": "电线杆上的电线缠成一团垂到路边，存在安全隐患",
                                   "事发地址": pole.address, "所属区县": "江城区"}, now)
        hotline.plan_case(case, now)[2]()
        db.session.flush()
        merged = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == POLE_CASE))
        intake.merge(admin, merged, {"ticket": pole.number}, now)
        counts["hotline"] += 1

    # --- the province's feedback list, entered by the office two days ago
    for item, code, text, place in SUPERIOR_FEEDBACK:
        intake.enter(admin, {"source": "superior", "reference": SUPERIOR_FEEDBACK_LIST + item, "category": code,
                             "address": place, "description": text, "segment_id": str(segment.id)}, None,
                     now - timedelta(days=2))
        counts["superior"] += 1
    db.session.flush()
    return counts


def summary_line(result: dict) -> str:
    if not result["frontages"]:
        return "已有门前四包名册，未再生成相关演示数据。"
    pending = db.session.scalar(select(func.count(IntakeItem.id)).where(IntakeItem.status == "pending"))
    return (f"已生成门前四包责任商户 {result['frontages']} 家（屡次违反 {result['offenders']} 家，相关问题 "
            f"{result['menqian_tickets']} 件，整改通知书 {result['notices']} 份）、"
            f"三家运营商共用电杆的蜘蛛网问题 {result['shared_pole']} 件、"
            f"市民随手拍 {result['citizen']} 件和12345工单 {result['hotline']} 件（待审核 {pending} 件），"
            f"上级测评反馈问题 {result['superior']} 件。")
