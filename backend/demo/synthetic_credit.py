"""Synthetic public credit data at city scale, deterministic by seed: enterprises of Jiangyin's towns and
their licences and penalties, written as import files (enterprises under our names, disclosures in the
national standard's codes, as departments send them). Nothing here touches the database: the files go
through the imports like any department's."""

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import uscc as uscc_code

TOWNS = ["澄江街道", "南闸街道", "云亭街道", "城东街道", "夏港街道", "申港街道", "利港街道", "月城镇", "青阳镇",
         "徐霞客镇", "华士镇", "周庄镇", "新桥镇", "长泾镇", "顾山镇", "祝塘镇"]
# Characters of trade names (字号), two of them make one: some 100 thousand names to draw from.
BRAND = ("华宏兴盛泰康达源丰恒瑞祥鑫诚信德润和嘉联创新永通安宇金海天龙凯宝利美成博远正明光辉腾飞长江澄澜"
         "君山黄山定波申港利港青阳周庄祝塘顾山华士新桥璜塘云亭月城夏港南闸峭岐马镇文林北涸河塘"
         "晨阳旭日锦程鸿运佳禾万象东方中天大华远航卓越精工巨力双良海澜阳光三房巷法尔胜兴澄长电"
         "振宏汇丰汇通广源顺发隆昌福泽瑞丰裕华协和联合银河星辰碧波翠竹青松绿洲白鹭红枫紫金蓝天")
INDUSTRIES = ["纺织", "机械", "建材", "物流", "电子", "化工", "服饰", "食品", "贸易", "科技", "金属制品", "塑业",
              "环保", "新材料", "装饰工程", "餐饮管理", "汽车配件", "五金", "印染", "钢结构", "精密机械", "电气",
              "包装", "家具", "医疗器械", "生物科技", "信息技术", "建设工程", "劳务", "农业发展"]
SHOPS = ["小吃店", "五金店", "便利店", "理发店", "水果店", "烟酒商行", "副食品店", "服装店", "维修部", "面馆"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红兰海燕文辉玉凤春梅亮鹏飞"
# (authority, the first 17 characters of its USCC, the source name it sends under, decision prefix)
AUTHORITIES = [
    ("江阴市市场监督管理局", "11320281014123456", "market-regulation", "澄市监"),
    ("无锡市江阴生态环境局", "11320281014123457", "ecology", "澄环"),
    ("江阴市应急管理局", "11320281014123459", "emergency", "澄应急"),
    ("国家税务总局江阴市税务局", "11320281014123460", "tax", "澄税"),
    ("江阴市城市管理局", "11320281014123461", "urban-management", "澄城管"),
    ("江阴市住房和城乡建设局", "11320281014123462", "housing", "澄建"),
    ("江阴市交通运输局", "11320281014123463", "transport", "澄交"),
    ("江阴市卫生健康委员会", "11320281014123464", "health", "澄卫"),
]
VIOLATIONS = [("未按规定公示年度报告", "逾期未报送年度报告，经责令仍未改正", "《企业信息公示暂行条例》第十八条"),
              ("超标排放大气污染物", "颗粒物排放浓度超过标准限值", "《中华人民共和国大气污染防治法》第九十九条"),
              ("未落实安全生产责任", "未按规定开展隐患排查治理", "《中华人民共和国安全生产法》第一百零二条"),
              ("虚假宣传", "在网店发布虚假产品功效宣传", "《中华人民共和国广告法》第五十五条"),
              ("逾期未申报纳税", "未按期办理纳税申报", "《中华人民共和国税收征收管理法》第六十二条"),
              ("占道经营", "在店外占用人行道堆放物品", "《江苏省城市市容和环境卫生管理条例》第五十二条")]
LICENCES = [("食品经营许可证", "食品经营许可决定书", "预包装食品销售"),
            ("排污许可证", "排污许可决定书", "排放大气污染物"),
            ("建筑施工许可证", "施工许可决定书", "厂房新建工程"),
            ("道路运输经营许可证", "道路运输许可决定书", "普通货运")]


def synthetic_uscc(serial: int) -> str:
    body = f"91320281MA{serial:07d}"
    return body + uscc_code.calc_check_digit(body)


def _authority_uscc(body: str) -> str:
    return body + uscc_code.calc_check_digit(body)


def enterprises(count: int, seed: int) -> Iterator[dict]:
    """``count`` enterprises, one in eight an individual business."""
    rng = random.Random(seed)
    for serial in range(1, count + 1):
        town = rng.choice(TOWNS)
        brand = rng.choice(BRAND) + rng.choice(BRAND)
        person = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if rng.random() < 0.125:
            name, kind = f"江阴市{town}{brand}{rng.choice(SHOPS)}", "个体工商户"
        else:
            prefix = rng.choice(("江阴市", "江阴", "江苏"))
            suffix = rng.choice(("有限公司", "有限公司", "有限公司", "股份有限公司", "厂"))
            name, kind = f"{prefix}{brand}{rng.choice(INDUSTRIES)}{suffix}", "法人及非法人组织"
        registered = date(1995, 1, 1) + timedelta(days=rng.randrange(0, 30 * 365))
        yield {"uscc": synthetic_uscc(serial), "name": name, "kind": kind, "legal_representative": person,
               "town": town, "address": f"{town}{rng.choice(BRAND)}{rng.choice(BRAND)}路 {rng.randrange(1, 300)} 号",
               "registered_on": registered.strftime("%Y/%m/%d"), "status": "存续"}


PENALTY_COLUMNS = ["CF_WSH", "CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_FRDB", "CF_WFXW", "CF_SY", "CF_YJ",
                   "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_JDRQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "severity"]
LICENCE_COLUMNS = ["XK_WSH", "XK_XKWS", "XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_FRDB", "XK_XKLB", "XK_XKZS",
                   "XK_XKBH", "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM", "XK_ZT", "XK_LYDW"]
COLUMNS = ["type", *PENALTY_COLUMNS, *LICENCE_COLUMNS]


def disclosures(count: int, companies: list[dict], seed: int, as_of: date) -> Iterator[dict]:
    """``count`` licences (a third) and penalties (two thirds) of ``companies``, decided in the four years
    before ``as_of``: some past their windows, as a real ledger holds."""
    rng = random.Random(seed)
    authorities = [(name, _authority_uscc(body), source, prefix) for name, body, source, prefix in AUTHORITIES]
    for serial in range(1, count + 1):
        company = companies[rng.randrange(len(companies))]
        authority, authority_uscc, source, prefix = rng.choice(authorities)
        decided = as_of - timedelta(days=rng.randrange(1, 4 * 365))
        common = {"XDR_MC": company["name"], "XDR_LB": company["kind"], "XDR_SHXYM": company["uscc"],
                  "FRDB": company["legal_representative"]}
        if rng.random() < 1 / 3:
            certificate, document, content = rng.choice(LICENCES)
            valid_to = decided + timedelta(days=rng.choice((365, 1095, 1825)))
            yield {"type": "licence", "XK_WSH": f"{prefix}许〔{decided.year}〕{serial}号", "XK_XKWS": document,
                   **{f"XK_{key}": value for key, value in common.items()}, "XK_XKLB": "普通",
                   "XK_XKZS": certificate, "XK_XKBH": f"JY{serial:012d}", "XK_NR": content,
                   "XK_JDRQ": decided.strftime("%Y/%m/%d"), "XK_YXQZ": decided.strftime("%Y/%m/%d"),
                   "XK_YXQZI": valid_to.strftime("%Y/%m/%d"), "XK_XKJG": authority, "XK_XKJGDM": authority_uscc,
                   "XK_ZT": "1", "XK_LYDW": source}
            continue
        violation, facts, basis = rng.choice(VIOLATIONS)
        fine = rng.randrange(1, 50000) / 100  # 万元: 0.01 to 500
        yield {"type": "penalty", "CF_WSH": f"{prefix}罚〔{decided.year}〕{serial}号",
               **{f"CF_{key}": value for key, value in common.items()}, "CF_WFXW": violation, "CF_SY": facts,
               "CF_YJ": basis, "CF_CFLB": "罚款", "CF_NR": f"罚款人民币{fine:g}万元", "CF_NR_FK": f"{fine:g}",
               "CF_JDRQ": decided.strftime("%Y/%m/%d"), "CF_CFJG": authority, "CF_CFJGDM": authority_uscc,
               "CF_SJLY": source, "severity": rng.choices(("minor", "general", "serious"), (3, 5, 2))[0]}


def write_files(directory: Path, *, enterprise_count: int, disclosure_count: int, seed: int,
                as_of: date) -> dict:
    """Write ``enterprises.csv`` and ``disclosures.csv`` into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    companies = list(enterprises(enterprise_count, seed))
    paths = {"enterprises": directory / "enterprises.csv", "disclosures": directory / "disclosures.csv"}
    with paths["enterprises"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(companies[0]))
        writer.writeheader()
        writer.writerows(companies)
    with paths["disclosures"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(disclosures(disclosure_count, companies, seed + 1, as_of))
    return paths
