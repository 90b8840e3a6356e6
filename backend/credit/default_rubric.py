"""The default rubric: the city-wide "100" items of the 100+N standard as first published here, the
reporting items the report feature grants, and 长泾镇's local "+N" items. Loaded by
``flask credit load-rubric`` (idempotent) and by the demo; admins keep it up to date afterwards.
"""

from sqlalchemy import select

from backend.credit import rubric
from backend.credit.models import RubricItem
from backend.data.extensions import db
from backend.residents.models import Town

REPORT_REWARD = "RP-01"
REPORT_MAJOR_REWARD = "RP-02"
MALICIOUS_REPORT = "RP-03"


def _bonus(code, category, title, points, **extra):
    return {"code": code, "category": category, "title": title, "points": points, "kind": "bonus", **extra}


def _penalty(code, category, title, points, severity, **extra):
    return {"code": code, "category": category, "title": title, "points": points, "kind": "penalty",
            "severity": severity, **extra}


CITY_WIDE = [
    # 社会贡献: 创业带富, 创造就业, 社会公益, 志愿服务, 群众好评
    _bonus("SC-01", "social_contribution", "创业带富：带动本村 5 户以上增收", 20, annual_cap=20),
    _bonus("SC-02", "social_contribution", "创造就业：吸纳本地劳动力 10 人以上", 20, annual_cap=20),
    _bonus("SC-03", "social_contribution", "社会公益：捐资助学、扶贫济困（每次）", 5, annual_cap=20),
    _bonus("SC-04", "social_contribution", "志愿服务：年度志愿服务满 50 小时", 10, annual_cap=10),
    _bonus("SC-05", "social_contribution", "无偿献血（每次）", 5, annual_cap=10),
    _bonus("SC-06", "social_contribution", "群众好评：获评“好婆媳”“好邻里”等", 5, annual_cap=10),
    _bonus("SC-07", "social_contribution", "见义勇为（经认定）", 30),
    _bonus("SC-08", "social_contribution", "县级荣誉表彰", 10, validity_days=365),
    _bonus("SC-09", "social_contribution", "地市级荣誉表彰", 20, validity_days=2 * 365),
    _bonus("SC-10", "social_contribution", "省级荣誉表彰", 30, validity_days=3 * 365),
    _bonus("SC-11", "social_contribution", "国家级荣誉表彰", 50, validity_days=5 * 365),
    # 遵纪守法与村规民约
    _bonus("LV-01", "law_and_village_rules", "遵守村规民约，年度无违约记录", 5, annual_cap=5),
    _penalty("LV-02", "law_and_village_rules", "违反村规民约（经村民议事会认定）", -5, "minor"),
    _penalty("LV-03", "law_and_village_rules", "违法建设拒不整改", -30, "general"),
    _penalty("LV-04", "law_and_village_rules", "受到治安管理处罚", -30, "general"),
    _penalty("LV-05", "law_and_village_rules", "因故意犯罪被判处刑罚", -100, "serious", caps_stars_at=1,
             repairable=False),
    # 社会治安
    _penalty("PO-01", "public_order", "醉酒驾驶机动车", -50, "serious", caps_stars_at=2),
    _penalty("PO-02", "public_order", "参与赌博（经查处）", -30, "general"),
    _penalty("PO-03", "public_order", "无理缠访闹访、扰乱公共秩序", -20, "general"),
    _bonus("PO-04", "public_order", "协助破获案件（经公安机关认定）", 10, annual_cap=20),
    # 计划生育
    _penalty("FP-01", "family_planning", "违反计划生育政策（经认定）", -20, "general"),
    _bonus("FP-02", "family_planning", "计生家庭示范户", 5, annual_cap=5),
    # 生态环境
    _penalty("EN-01", "environment", "乱倒垃圾、违规焚烧秸秆", -5, "minor"),
    _penalty("EN-02", "environment", "非法排污（经环保部门查处）", -50, "serious"),
    _bonus("EN-03", "environment", "垃圾分类示范户", 5, annual_cap=5),
    _bonus("EN-04", "environment", "美丽庭院示范户", 5, annual_cap=5),
    # 安全生产与食品安全
    _penalty("SF-01", "safety", "安全生产违法行为（经应急管理部门处罚）", -30, "general"),
    _penalty("SF-02", "safety", "生产销售不符合食品安全标准的食品", -50, "serious"),
    _penalty("SF-03", "safety", "出租房屋存在重大消防隐患拒不整改", -20, "general"),
    _bonus("SF-04", "safety", "获评安全生产先进个人", 10, annual_cap=10),
    # 金融信用
    _penalty("FI-01", "finance", "列为失信被执行人", -100, "serious", caps_stars_at=1),
    _penalty("FI-02", "finance", "贷款逾期 90 天以上（不良贷款）", -50, "serious"),
    _penalty("FI-03", "finance", "信用卡恶意透支（经认定）", -30, "general"),
    _bonus("FI-04", "finance", "按期足额还清诚信贷款", 5, annual_cap=10),
    _penalty("FI-05", "finance", "拖欠水电气费用逾 6 个月", -5, "minor"),
    # 举报
    # Each with an annual cap of 30 points (SPEC §5), so reporting cannot become a way to buy stars.
    _bonus(REPORT_REWARD, "reporting", "举报失信行为经查证属实", 10, annual_cap=30),
    _bonus(REPORT_MAJOR_REWARD, "reporting", "举报重大失信案件经查证属实", 30, annual_cap=30),
    _penalty(MALICIOUS_REPORT, "reporting", "恶意举报、诬告陷害", -50, "general"),
]

# 长泾镇's local items (the "+N").
LOCAL = {
    "长泾镇": [
        _bonus("CJ-01", "social_contribution", "长泾镇：参与河道保洁志愿队", 5, annual_cap=10),
        _bonus("CJ-02", "environment", "长泾镇：主动拆除违章搭建", 5, annual_cap=5),
        _penalty("CJ-03", "law_and_village_rules", "长泾镇：在禁捕水域非法捕捞", -10, "minor"),
    ],
}


def load_default_rubric() -> int:
    """Create the default items that are missing (never changes existing ones); returns how many."""
    existing = set(db.session.scalars(select(RubricItem.code)))
    created = 0
    for item in CITY_WIDE:
        if item["code"] not in existing:
            rubric.create_item(None, **item)
            created += 1
    for town_name, items in LOCAL.items():
        if db.session.scalar(select(Town.id).where(Town.name == town_name)) is None:
            db.session.add(Town(name=town_name))
            db.session.commit()
        for item in items:
            if item["code"] not in existing:
                rubric.create_item(None, town=town_name, **item)
                created += 1
    return created
