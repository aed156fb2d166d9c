"""The demo city 临江市: units, road segments with coordinates, categories, accounts.

Deterministic (a fixed random seed), so every demo and every test sees the same city.
"""
from __future__ import annotations

import random

CITY = "临江市"
CENTER = (28.2280, 112.9390)  # lat, lon (WGS-84)

MUNICIPAL = [
    ("SZ01", "市城市管理局"), ("SZ02", "市住房和城乡建设局"), ("SZ03", "市公安局交通警察支队"),
    ("SZ04", "市环境卫生管理处"), ("SZ05", "市市政设施管理处"), ("SZ06", "市园林绿化局"),
    ("SZ07", "市市场监督管理局"), ("SZ08", "市交通运输局"), ("SZ09", "市公安局"), ("SZ10", "市教育局"),
    ("SZ11", "市商务局"), ("SZ12", "市文化旅游广电局"), ("SZ13", "市卫生健康委员会"), ("SZ14", "市水利局"),
    ("SZ15", "市生态环境局"), ("SZ16", "市自然资源和规划局"), ("SZ17", "市民政局"), ("SZ18", "市委宣传部"),
    ("SZ19", "市住房保障服务中心"), ("SZ20", "市城投集团"), ("SZ21", "市公交集团"), ("SZ22", "市供水公司"),
    ("SZ23", "市燃气集团"), ("SZ24", "国网临江供电公司"), ("SZ25", "市邮政管理局"), ("SZ26", "市城市照明管理处"),
    ("SZ27", "市人防办"), ("SZ28", "市机关事务管理局"), ("SZ29", "市体育局"), ("SZ30", "市农业农村局"),
    ("SZ31", "市司法局"), ("SZ32", "市应急管理局"), ("SZ33", "市消防救援支队"), ("SZ34", "市城管执法支队"),
    ("SZ35", "市停车管理中心"), ("SZ36", "市渣土管理办公室"), ("SZ37", "市户外广告管理办公室"),
    ("SZ38", "市文明办创建科"), ("SZ39", "市团委"), ("SZ40", "市妇联"),
]
CARRIERS = [
    ("QY01", "中国移动临江分公司"), ("QY02", "中国联通临江分公司"), ("QY03", "中国电信临江分公司"),
    ("QY04", "临江广电网络公司"), ("QY05", "临江铁塔公司"),
]
DISTRICTS = [
    # name, code, centre offset (lat, lon), street offices
    ("江城区", "QX01", (0.000, 0.000), ["解放", "五一", "坡子街", "青园", "文艺路", "韭菜园", "火星", "东屯渡"]),
    ("临江区", "QX02", (0.030, -0.045), ["望月湖", "观沙岭", "岳麓", "银盆岭", "橘子洲", "西湖", "天顶", "洋湖"]),
    ("新港区", "QX03", (-0.040, 0.050), ["新开铺", "南托", "大托", "暮云", "金盆岭", "赤岭路", "裕南街", "城南路"]),
    ("高新区", "QX04", (0.055, 0.030), ["麓谷", "东方红", "雷锋", "白马", "含浦", "桐梓坡", "黄金园"]),
    ("东湖区", "QX05", (-0.015, 0.090), ["东湖", "湘龙", "星沙", "泉塘", "榔梨", "黄兴", "安沙"]),
]
ROAD_NAMES = [
    "人民路", "解放路", "建设路", "中山路", "五一大道", "芙蓉路", "湘江大道", "劳动路", "车站路", "韶山路",
    "东风路", "八一路", "营盘路", "黄兴路", "蔡锷路", "书院路", "潇湘大道", "金星路", "桐梓坡路", "麓山南路",
    "枫林路", "银盆南路", "望城坡路", "长丰路", "新开铺路", "南湖路", "万家丽路", "远大路", "木莲路", "杉木冲路",
    "朝阳路", "晚报大道", "德政街", "文运街", "太平街", "化龙池", "西湖路", "白沙路", "天心路", "城南路",
    "桂花路", "红旗路", "育才街", "学院路", "园丁路", "青年路", "光明街", "和平街", "友谊路", "团结路",
]
SEGMENT_KINDS = ["主次干道", "主次干道", "背街小巷", "商业大街", "集贸市场周边", "学校周边", "社区", "公交站点"]
CROSS_STREETS = ["东段", "西段", "南段", "北段", "中段", "一段", "二段", "三段"]

# Categories of DOMAIN.md; owner is a unit code (category's own unit) or None (the segment's unit). The 门前四包
# category goes to the frontage's street office.
CATEGORIES = [
    # code, name, group, hours, workdays, urgent, common, owner
    ("niupixuan", "牛皮癣", "宣传广告", 24, None, False, True, None),
    ("spider_web", "蜘蛛网", "设施管线", None, 10, False, True, None),
    ("illegal_parking", "乱停乱放", "街面秩序", 2, None, False, True, "SZ03"),
    ("road_damage", "路面破损", "市容环境", None, 5, False, True, "SZ05"),
    ("signboard", "违规广告牌匾", "宣传广告", None, 5, False, False, "SZ01"),
    ("bike_parking", "非机动车乱停放", "街面秩序", 4, None, False, False, None),
    ("street_vending", "占道经营", "街面秩序", 24, None, False, False, "SZ01"),
    ("piled_objects", "乱堆乱放", "街面秩序", 24, None, False, False, None),
    ("exposed_rubbish", "暴露垃圾", "市容环境", 12, None, False, False, "SZ04"),
    ("illegal_building", "私搭乱建", "市容环境", None, 10, False, False, "SZ01"),
    ("manhole", "井盖缺失破损", "设施管线", 24, None, True, False, None),
    ("public_ads", "公益广告缺失破损", "文明宣传", None, 5, False, False, None),
    ("menqian", "门前四包", "市容环境", 24, None, False, False, None),
]
# Whom each category goes to (units.models.ROUTES) where it is not "own" (a category with an owner unit) or
# "territorial": the 包抓 department answers for 牛皮癣 and 公益广告 on its segments; cables and covers go to the
# 产权 units the inspector picks, from these lists.
CATEGORY_ROUTES = {"niupixuan": "adopting", "public_ads": "adopting", "spider_web": "owner", "manhole": "owner",
                   "menqian": "frontage"}
OWNER_CHOICES = {
    "spider_web": ["QY01", "QY02", "QY03", "QY04", "QY05"],
    "manhole": ["SZ22", "SZ23", "SZ24", "SZ05", "SZ26", "QY01", "QY02", "QY03", "QY04", "QY05"],
}


def units() -> list[dict]:
    """About 110 units: municipal departments, carriers, districts, street offices and communities."""
    result = [{"code": c, "name": n, "kind": "市直单位", "parent": None} for c, n in MUNICIPAL]
    result += [{"code": c, "name": n, "kind": "企业", "parent": None} for c, n in CARRIERS]
    for district, code, _, streets in DISTRICTS:
        result.append({"code": code, "name": f"{district}人民政府", "kind": "区县", "parent": None})
        for i, street in enumerate(streets, start=1):
            result.append({"code": f"JD{code[2:]}{i:02d}", "name": f"{district}{street}街道办事处",
                           "kind": "街道", "parent": code})
    communities = ["阳光", "幸福", "和谐", "友爱", "新城", "锦绣", "春江", "桃源", "清水塘", "五星", "白沙",
                   "荷花池", "浏正街", "识字岭", "古稻田", "南门口", "碧湘街", "楚湘街", "沙河街", "贺龙", "东瓜山",
                   "书院"]
    for i, name in enumerate(communities, start=1):
        result.append({"code": f"SQ{i:02d}", "name": f"江城区{name}社区居委会", "kind": "社区",
                       "parent": f"JD01{(i % 8) + 1:02d}"})
    return result


def segments() -> list[dict]:
    """About 240 road segments, each a short WGS-84 polyline with its 属地 unit (a street office or district) and
    its 包抓 unit: the 40 city departments adopt six segments each, spread over the districts; each 社区 answers for one
    segment of its street office (see _communities_take_their_lanes)."""
    rng = random.Random(2026)
    result: list[dict] = []
    used: set[str] = set()
    for district, code, (dlat, dlon), streets in DISTRICTS:
        base_lat, base_lon = CENTER[0] + dlat, CENTER[1] + dlon
        for i in range(48):
            road = ROAD_NAMES[(i * 7 + len(district) * 3 + int(code[2:])) % len(ROAD_NAMES)]
            section = CROSS_STREETS[i % len(CROSS_STREETS)]
            name = f"{road}{section}"
            if name in used:
                name = f"{district[:2]}{road}{section}"
            used.add(name)
            street_index = i % len(streets) + 1
            owner = f"JD{code[2:]}{street_index:02d}" if i % 6 else code
            lat0 = base_lat + rng.uniform(-0.018, 0.018)
            lon0 = base_lon + rng.uniform(-0.022, 0.022)
            length = rng.uniform(0.003, 0.008)  # degrees, roughly 300–800 m
            points = [[round(lon0, 6), round(lat0, 6)]]
            east = i % 2 == 0
            for step in range(1, 4):
                wobble = rng.uniform(-0.0004, 0.0004)
                lon = lon0 + (length * step / 3 if east else wobble)
                lat = lat0 + (wobble if east else length * step / 3)
                points.append([round(lon, 6), round(lat, 6)])
            adopting = MUNICIPAL[len(result) % len(MUNICIPAL)][0]
            result.append({"name": name, "district": district, "unit": owner, "adopting": adopting,
                           "kind": SEGMENT_KINDS[i % len(SEGMENT_KINDS)], "coords": points})
    _communities_take_their_lanes(result)
    return result


def _communities_take_their_lanes(rows: list[dict]) -> None:
    """Each 社区居委会 answers (属地) for one segment of its street office, a lane or community road where there is
    one (the small things it rectifies itself); the street office keeps at least one segment of its own."""
    waiting: dict[str, list[str]] = {}
    for unit in units():
        if unit["kind"] == "社区":
            waiting.setdefault(unit["parent"], []).append(unit["code"])
    kept = {street: sum(row["unit"] == street for row in rows) for street in waiting}
    for main_roads_too in (False, True):
        for row in rows:
            street = row["unit"]
            if waiting.get(street) and kept[street] > 1 and (main_roads_too or row["kind"] != "主次干道"):
                row["unit"] = waiting[street].pop(0)
                kept[street] -= 1


def accounts() -> list[dict]:
    """Accounts for every role; unit accounts are named after the unit code in lower case."""
    result = [
        {"username": "admin", "role": "admin", "name": "文明办管理员"},
        {"username": "leader", "role": "leader", "name": "市文明办主任"},
    ]
    result += [{"username": f"inspector{i}", "role": "inspector", "name": f"督查员{i}号"} for i in range(1, 6)]
    result += [{"username": u["code"].lower(), "role": "unit", "unit": u["code"], "name": u["name"]} for u in units()]
    return result
