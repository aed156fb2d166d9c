"""The demo city's assessment register: site types, operators and sector bodies the sites need, about 180 sites
(点位) across the 14 types and 5 districts with realistic names, and the checklist (测评体系), modelled on the
public 全国文明城市测评体系 实地考察 items. Deterministic (fixed random seed)."""
from __future__ import annotations

import random

from ..sites.models import DEFAULT_KINDS
from .data import CENTER, DISTRICTS

# Units the sites need besides data.units(): operators (管理主体) and a few sector bodies (行业主管).
# (code, name, kind)
EXTRA_UNITS = [
    ("HY01", "市行政审批服务局", "市直单位"), ("HY02", "人民银行临江市分行", "市直单位"),
    ("HY03", "市政务服务中心", "市直单位"), ("HY04", "市不动产登记中心", "市直单位"),
    ("YH01", "工商银行临江分行", "企业"), ("YH02", "建设银行临江分行", "企业"), ("YH03", "临江农村商业银行", "企业"),
    ("YY01", "临江市第一人民医院", "市直单位"), ("YY02", "临江市中心医院", "市直单位"), ("YY03", "临江市中医医院", "市直单位"),
    ("YY04", "临江市妇幼保健院", "市直单位"), ("YY05", "临江市第三人民医院", "市直单位"), ("YY06", "临江市儿童医院", "市直单位"),
    ("YY07", "临江市第四人民医院", "市直单位"), ("YY08", "临江市口腔医院", "市直单位"), ("YY09", "高新区人民医院", "市直单位"),
    ("YY10", "东湖区人民医院", "市直单位"),
    ("WH01", "临江市图书馆", "市直单位"), ("WH02", "临江市博物馆", "市直单位"), ("WH03", "临江市文化馆", "市直单位"),
    ("WH04", "临江大剧院", "企业"), ("WH05", "临江市科技馆", "市直单位"),
    ("WY01", "临江万科物业服务有限公司", "企业"), ("WY02", "保利物业临江分公司", "企业"), ("WY03", "临江城投物业有限公司", "企业"),
    ("WY04", "绿城物业临江分公司", "企业"), ("WY05", "碧桂园生活服务临江分公司", "企业"),
    ("SC01", "江城区农贸市场管理服务中心", "企业"), ("SC02", "临江区农贸市场管理服务中心", "企业"),
    ("SC03", "新港区农贸市场管理服务中心", "企业"), ("SC04", "高新区农贸市场管理服务中心", "企业"),
    ("SC05", "东湖区农贸市场管理服务中心", "企业"),
    ("JZ01", "中建五局临江项目部", "企业"), ("JZ02", "临江建工集团有限公司", "企业"), ("JZ03", "湘江路桥建设有限公司", "企业"),
]

# Sites per district for each type, and who answers for the type (sector, operator: unit codes or a rule).
PER_DISTRICT = {"主次干道": 3, "商业大街": 2, "背街小巷": 5, "农贸市场": 3, "公共厕所": 4, "学校周边": 3, "居民小区": 3,
                "医院": 2, "车站/公交站点": 3, "广场/公园": 2, "窗口单位": 2, "文化场馆": 1, "建筑工地": 2, "城乡结合部": 1}
SECTOR = {"主次干道": "SZ01", "商业大街": "SZ11", "背街小巷": None, "农贸市场": "SZ07", "公共厕所": "SZ01",
          "学校周边": "SZ10", "居民小区": "SZ02", "医院": "SZ13", "车站/公交站点": "SZ08", "广场/公园": "SZ06",
          "窗口单位": None, "文化场馆": "SZ12", "建筑工地": "SZ02", "城乡结合部": "SZ30"}

ROADS = ["人民路", "解放路", "五一大道", "芙蓉路", "韶山路", "劳动路", "湘江大道", "八一路", "东风路", "远大路",
         "万家丽路", "金星路", "桐梓坡路", "麓山南路", "书院路"]
STREETS = ["黄兴南路步行街", "太平老街", "坡子街", "化龙池美食街", "文运街", "德政街", "潮宗街", "西湖路商业街",
           "金盆岭商业街", "星沙商业步行街"]
LANES = ["育才巷", "青石巷", "学宫街", "白果园", "三王街", "织机街", "福庆街", "登仁桥巷", "枣子园", "连升街",
         "道门口", "通泰街", "吉祥巷", "寿星街", "紫荆巷", "仁美园", "如意巷", "丰收巷", "梓园路", "樟树巷",
         "苏家巷", "东茅街", "落星田", "都正街", "新安巷"]
MARKETS = ["东风农贸市场", "红星农副产品市场", "马王堆蔬菜市场", "新河农贸市场", "月湖农贸市场", "望月湖农贸市场",
           "金盆岭农贸市场", "左家塘农贸市场", "雨花亭农贸市场", "麓谷农贸市场", "湘龙农贸市场", "星沙农贸市场",
           "泉塘农贸市场", "榔梨农贸市场", "桂花坪农贸市场"]
SCHOOLS = ["第一中学", "实验小学", "育才学校", "长郡中学分校", "雅礼实验中学", "博才小学", "麓山外国语学校",
           "师大附中分校", "南雅中学", "周南实验中学", "明德中学分校", "砂子塘小学", "枫树山小学", "清水塘小学",
           "大同小学"]
COMMUNITIES = ["阳光新城小区", "锦绣华庭小区", "桃源居小区", "金色家园小区", "清水塘老旧小区", "幸福里小区",
               "和平新村", "友谊小区", "东塘小区", "左家塘老旧小区", "望月公寓", "湘龙苑", "麓谷明珠小区",
               "泉塘新村", "星沙花园"]
PROPERTY = ["WY01", "WY02", "WY03", "WY04", "WY05"]
HOSPITALS = ["YY01", "YY02", "YY03", "YY04", "YY05", "YY06", "YY07", "YY08", "YY09", "YY10"]
STATIONS = ["火车站公交枢纽", "五一广场公交站", "汽车西站", "汽车南站", "火车南站", "东湖公交总站", "麓谷公交首末站",
            "地铁2号线橘子洲站出入口", "星沙汽车站", "侯家塘公交站"]
PARKS = ["五一广场", "湘江风光带", "烈士公园", "月湖公园", "洋湖湿地公园", "桃花岭公园", "后湖公园", "松雅湖公园",
         "晓园公园", "贺龙体育广场"]
WINDOWS = [("市民之家政务服务大厅", "HY01", "HY03"), ("工商银行五一路支行", "HY02", "YH01"),
           ("建设银行芙蓉路支行", "HY02", "YH02"), ("不动产登记服务大厅", "HY01", "HY04"),
           ("农商银行营业部", "HY02", "YH03")]
VENUES = [("临江市图书馆", "WH01"), ("临江市博物馆", "WH02"), ("临江市文化馆", "WH03"), ("临江大剧院", "WH04"),
          ("临江市科技馆", "WH05")]
SITES_WORKS = ["地铁6号线施工工地", "滨江新城二期项目工地", "城南路改造工程", "麓谷科技园三期工地", "东湖片区棚改项目工地",
               "湘江大道提质改造工程", "高铁新城安置房工地", "万家丽路快速化改造工地", "学院路管网改造工程",
               "洋湖片区道路工程"]
FRINGES = ["暮云城乡结合部", "含浦城乡结合部", "黄兴镇城乡结合部", "天顶城乡结合部", "安沙城乡结合部"]
BUILDERS = ["JZ01", "JZ02", "JZ03"]


def extra_units() -> list[dict]:
    return [{"code": c, "name": n, "kind": k} for c, n, k in EXTRA_UNITS]


def sites() -> list[dict]:
    """About 180 sites: each {code, name, kind, district, street, address, description, lat, lon, area,
    territorial, sector, operator} (unit codes)."""
    rng = random.Random(2612)
    result: list[dict] = []
    counters: dict[str, int] = {}
    for d_index, (district, code, (dlat, dlon), streets) in enumerate(DISTRICTS):
        base_lat, base_lon = CENTER[0] + dlat, CENTER[1] + dlon
        for kind, count in PER_DISTRICT.items():
            for n in range(count):
                k = d_index * count + n
                street_index = rng.randrange(len(streets))
                street = f"{streets[street_index]}街道"
                territorial = f"JD{code[2:]}{street_index + 1:02d}"
                sector, operator, address, description = SECTOR[kind], None, "", ""
                if kind == "主次干道":
                    name = f"{ROADS[k % len(ROADS)]}（{district[:2]}段）"
                    description = "测评范围：路段两侧人行道、绿化带、沿街门店及公交站台。"
                elif kind == "商业大街":
                    name = STREETS[k % len(STREETS)]
                    description = "步行街全段，含两侧商铺门前及外摆区域。"
                elif kind == "背街小巷":
                    name = LANES[k % len(LANES)]
                    description = "巷道全段，含墙面、管线、垃圾收集点。"
                elif kind == "农贸市场":
                    name = MARKETS[k % len(MARKETS)]
                    operator = f"SC{int(code[2:]):02d}"
                    description = "市场内交易区、公厕、周边50米范围。"
                elif kind == "公共厕所":
                    name = f"{ROADS[(k * 3 + 1) % len(ROADS)]}公厕{n + 1}号"
                    operator = "SZ04"
                elif kind == "学校周边":
                    name = f"临江市{SCHOOLS[k % len(SCHOOLS)]}周边"
                    description = "校门口及周边200米范围：护学岗、交通秩序、流动摊贩。"
                elif kind == "居民小区":
                    name = COMMUNITIES[k % len(COMMUNITIES)]
                    operator = PROPERTY[k % len(PROPERTY)]
                elif kind == "医院":
                    operator = HOSPITALS[(d_index * 2 + n) % len(HOSPITALS)]
                    name = dict((c, nm) for c, nm, _ in EXTRA_UNITS)[operator]
                    description = "门诊大厅、候诊区、院内公厕及门前秩序。"
                elif kind == "车站/公交站点":
                    name = STATIONS[k % len(STATIONS)]
                    operator = "SZ21"
                elif kind == "广场/公园":
                    name = PARKS[k % len(PARKS)]
                    operator = "SZ20" if "广场" in name else "SZ06"
                elif kind == "窗口单位":
                    name, sector, operator = WINDOWS[k % len(WINDOWS)]
                    name = f"{district[:2]}{name}" if "市民之家" not in name else name
                elif kind == "文化场馆":
                    name, operator = VENUES[d_index % len(VENUES)]
                elif kind == "建筑工地":
                    name = SITES_WORKS[k % len(SITES_WORKS)]
                    operator = BUILDERS[k % len(BUILDERS)]
                    description = "工地围挡、出入口冲洗、渣土覆盖、公益广告。"
                else:  # 城乡结合部
                    name = FRINGES[d_index % len(FRINGES)]
                    territorial = code  # the district answers for its fringe
                lat = round(base_lat + rng.uniform(-0.016, 0.016), 6)
                lon = round(base_lon + rng.uniform(-0.02, 0.02), 6)
                area = None
                if kind in ("农贸市场", "广场/公园", "居民小区", "建筑工地"):
                    w, h = rng.uniform(0.0006, 0.0015), rng.uniform(0.0005, 0.0012)
                    area = [[round(lon - w, 6), round(lat - h, 6)], [round(lon + w, 6), round(lat - h, 6)],
                            [round(lon + w, 6), round(lat + h, 6)], [round(lon - w, 6), round(lat + h, 6)]]
                prefix = {"主次干道": "ZG", "商业大街": "SY", "背街小巷": "BJ", "农贸市场": "NM", "公共厕所": "GC",
                          "学校周边": "XX", "居民小区": "XQ", "医院": "YY", "车站/公交站点": "CZ", "广场/公园": "GY",
                          "窗口单位": "CK", "文化场馆": "WG", "建筑工地": "GD", "城乡结合部": "CX"}[kind]
                counters[prefix] = counters.get(prefix, 0) + 1
                if kind in ("背街小巷", "公共厕所"):
                    address = f"{streets[street_index]}片区"
                result.append({"code": f"{prefix}-{code[2:]}-{counters[prefix]:03d}", "name": name, "kind": kind,
                               "district": district, "street": street, "address": address,
                               "description": description, "lat": lat, "lon": lon, "area": area,
                               "territorial": territorial, "sector": sector, "operator": operator})
    return result


# The checklist: (code, type, text, points, answerable_by, deadline, category code or None)
T, S, O = "territorial", "sector", "operator"
H24, H48, D3, D5, D10 = {"hours": 24}, {"hours": 48}, {"workdays": 3}, {"workdays": 5}, {"workdays": 10}
CHECKLIST = [
    ("ZG-01", "主次干道", "路面平整，无坑洼、破损、积水", 2, S, D5, "road_damage"),
    ("ZG-02", "主次干道", "无占道经营、店外经营", 2, T, H24, "street_vending"),
    ("ZG-03", "主次干道", "机动车、非机动车停放有序，不占用盲道", 2, T, H24, "bike_parking"),
    ("ZG-04", "主次干道", "沿街立面无“牛皮癣”、乱涂乱画", 1.5, T, H24, "niupixuan"),
    ("ZG-05", "主次干道", "公益广告设置规范、数量达标，无破损褪色", 1.5, T, D5, "public_ads"),
    ("ZG-06", "主次干道", "架空线缆规整，无“蜘蛛网”", 1.5, S, D10, "spider_web"),
    ("SY-01", "商业大街", "店招店牌规范、无破损缺字", 2, T, D5, "signboard"),
    ("SY-02", "商业大街", "门前“四包”落实，无乱堆乱放", 2, T, H24, "piled_objects"),
    ("SY-03", "商业大街", "无占道经营、噪声扰民", 2, S, H24, "street_vending"),
    ("SY-04", "商业大街", "公益广告醒目，有“讲文明树新风”宣传", 1.5, T, D5, "public_ads"),
    ("SY-05", "商业大街", "垃圾桶完好，无暴露垃圾", 1.5, T, H24, "exposed_rubbish"),
    ("BJ-01", "背街小巷", "无乱堆乱放、乱搭乱建", 2, T, H24, "piled_objects"),
    ("BJ-02", "背街小巷", "墙面无“牛皮癣”、乱涂乱画", 1.5, T, H24, "niupixuan"),
    ("BJ-03", "背街小巷", "无“蜘蛛网”式架空线缆", 1.5, T, D10, "spider_web"),
    ("BJ-04", "背街小巷", "路面平整，无坑洼积水", 2, T, D5, "road_damage"),
    ("BJ-05", "背街小巷", "无暴露垃圾、卫生死角", 2, T, H24, "exposed_rubbish"),
    ("BJ-06", "背街小巷", "路灯、井盖等设施完好", 1, T, D3, "manhole"),
    ("NM-01", "农贸市场", "划行归市，摊位摆放整齐", 2, O, D3, None),
    ("NM-02", "农贸市场", "地面无积水、无垃圾，排水通畅", 2, O, H24, None),
    ("NM-03", "农贸市场", "无活禽散养、宰杀区域隔离", 3, S, H24, None),
    ("NM-04", "农贸市场", "公益广告规范，有食品安全宣传", 1.5, O, D5, "public_ads"),
    ("NM-05", "农贸市场", "公平秤设置、计量器具合格", 1.5, S, D3, None),
    ("NM-06", "农贸市场", "市场周边无占道经营", 2, T, H24, "street_vending"),
    ("NM-07", "农贸市场", "市场内公厕干净无异味", 1.5, O, H24, None),
    ("GC-01", "公共厕所", "无明显异味，地面干净无积水", 2, O, H24, None),
    ("GC-02", "公共厕所", "设施完好，便器、隔板、门锁无损坏", 2, O, D3, None),
    ("GC-03", "公共厕所", "有洗手设施，洗手液、厕纸配备", 1.5, O, H24, None),
    ("GC-04", "公共厕所", "标识清晰，有无障碍设施和开放时间公示", 1, S, D5, None),
    ("GC-05", "公共厕所", "有“文明如厕”公益宣传", 1, O, D5, "public_ads"),
    ("XX-01", "学校周边", "校门口有护学岗，上下学交通秩序良好", 2, S, H24, None),
    ("XX-02", "学校周边", "周边无流动摊贩、无“三无”食品销售", 2, T, H24, "street_vending"),
    ("XX-03", "学校周边", "周边200米内无网吧、游戏厅等", 2, S, D5, None),
    ("XX-04", "学校周边", "有社会主义核心价值观、未成年人思想道德建设宣传", 1.5, S, D5, "public_ads"),
    ("XX-05", "学校周边", "道路安全设施、减速带、斑马线完好", 1.5, T, D5, "road_damage"),
    ("XQ-01", "居民小区", "楼道无堆物、无“牛皮癣”", 2, O, H48, "niupixuan"),
    ("XQ-02", "居民小区", "垃圾分类设施规范，无暴露垃圾", 2, O, H24, "exposed_rubbish"),
    ("XQ-03", "居民小区", "车辆停放有序，消防通道畅通", 2, O, H24, "illegal_parking"),
    ("XQ-04", "居民小区", "绿化带无毁绿种菜、无私搭乱建", 1.5, T, D5, "illegal_building"),
    ("XQ-05", "居民小区", "有公益广告和善行义举榜", 1.5, T, D5, "public_ads"),
    ("YY-01", "医院", "导诊服务到位，有志愿服务站", 2, O, D3, None),
    ("YY-02", "医院", "候诊秩序良好，一米线等文明引导", 1.5, O, H24, None),
    ("YY-03", "医院", "院内公厕干净，有洗手设施", 1.5, O, H24, None),
    ("YY-04", "医院", "门前无“医托”、无违停、无占道经营", 2, T, H24, "illegal_parking"),
    ("YY-05", "医院", "无吸烟现象，禁烟标识醒目", 1.5, S, D3, None),
    ("CZ-01", "车站/公交站点", "站台整洁，候车亭设施完好", 2, O, D3, None),
    ("CZ-02", "车站/公交站点", "有公益广告、站牌信息清晰", 1.5, O, D5, "public_ads"),
    ("CZ-03", "车站/公交站点", "周边无非机动车乱停、无拉客揽客", 2, T, H24, "bike_parking"),
    ("CZ-04", "车站/公交站点", "无障碍设施、爱心专座标识完好", 1.5, S, D5, None),
    ("GY-01", "广场/公园", "园容整洁，无暴露垃圾", 2, O, H24, "exposed_rubbish"),
    ("GY-02", "广场/公园", "设施完好，座椅、护栏、照明无破损", 1.5, O, D3, None),
    ("GY-03", "广场/公园", "无践踏草坪、攀折花木等不文明行为提示缺失", 1, O, D5, None),
    ("GY-04", "广场/公园", "公益广告和文明旅游提示规范", 1.5, S, D5, "public_ads"),
    ("CK-01", "窗口单位", "服务大厅有一米线、便民设施齐全", 1.5, O, D3, None),
    ("CK-02", "窗口单位", "工作人员着装规范、文明用语", 2, O, D3, None),
    ("CK-03", "窗口单位", "有志愿服务岗、无障碍通道", 1.5, O, D5, None),
    ("CK-04", "窗口单位", "公益宣传和服务承诺公示到位", 1.5, S, D5, "public_ads"),
    ("WG-01", "文化场馆", "免费开放时间公示，服务规范", 1.5, O, D3, None),
    ("WG-02", "文化场馆", "馆内整洁，设施完好", 1.5, O, D3, None),
    ("WG-03", "文化场馆", "有社会主义核心价值观宣传", 1.5, S, D5, "public_ads"),
    ("GD-01", "建筑工地", "围挡规范，公益广告覆盖不低于围挡面积的30%", 2, O, D5, "public_ads"),
    ("GD-02", "建筑工地", "出入口冲洗到位，无带泥上路", 2, O, H24, None),
    ("GD-03", "建筑工地", "渣土、裸土全覆盖，无扬尘", 2, S, H24, None),
    ("GD-04", "建筑工地", "材料堆放整齐，不占道", 1.5, O, H24, "piled_objects"),
    ("CX-01", "城乡结合部", "无乱堆乱放、无垃圾堆积", 2, T, H48, "exposed_rubbish"),
    ("CX-02", "城乡结合部", "无违章搭建、无乱贴乱画", 2, T, D10, "illegal_building"),
    ("CX-03", "城乡结合部", "道路通行有序，无占道经营", 1.5, T, H48, "street_vending"),
    ("CX-04", "城乡结合部", "有农村精神文明建设宣传", 1.5, S, D5, "public_ads"),
]


def kinds() -> tuple[str, ...]:
    return DEFAULT_KINDS
