"""Demo records of the public credit query (信用信息全公示) for ``make run``: a handful of enterprises, their
licences and penalties, list entries and one exposure, recorded through the services."""

from datetime import timedelta

from backend.dates.timeutil import local_today
from backend.public_credit import service

MARKET = "market-regulation"
# Authorities by name, with the first 17 characters of their synthetic USCC.
MARKET_AUTHORITY = ("江阴市市场监督管理局", "11320281014123456")
ECOLOGY_AUTHORITY = ("无锡市江阴生态环境局", "11320281014123457")
TRAFFIC_AUTHORITY = ("江阴市公安局交通警察大队", "11320281014123458")

# (serial of the demo USCC, name, kind, representative, town, address, registered)
ENTERPRISES = [
    (101, "江阴市华宏纺织有限公司", "legal_person", "周建国", "长泾镇", "长泾镇河塘路 8 号", "2009-04-16"),
    (102, "江阴澄江精密机械有限公司", "legal_person", "陈志强", "澄江街道", "澄江东路 120 号", "2014-09-02"),
    (103, "江阴市长泾镇李记小吃店", "individual_business", "李秀英", "长泾镇", "长泾镇人民路 21 号", "2019-03-01"),
    (104, "江阴市君山建材贸易有限公司", "legal_person", "吴海涛", "澄江街道", "君山路 66 号", "2016-11-23"),
    (105, "江阴市黄山物流有限公司", "legal_person", "徐明", "澄江街道", "黄山路 9 号", "2018-06-30"),
]


def _authority(pair) -> dict:
    from stdnum.cn import uscc

    name, body = pair
    return {"authority": name, "authority_uscc": body + uscc.calc_check_digit(body)}


def load(uscc_of) -> None:
    """``uscc_of(serial)`` gives the demo's enterprise codes (the same scheme as its verifiers')."""
    today = local_today()

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    codes = {}
    for serial, name, kind, representative, town, address, registered in ENTERPRISES:
        codes[serial] = uscc_of(serial)
        service.record_enterprise(None, {"uscc": codes[serial], "name": name, "kind": kind,
                                         "legal_representative": representative, "town": town, "address": address,
                                         "registered_on": registered})
    market, ecology = _authority(MARKET_AUTHORITY), _authority(ECOLOGY_AUTHORITY)
    service.record_disclosure(None, {
        "type": "licence", "decision_no": "澄市监许〔2026〕0318号", "document_name": "食品经营许可决定书",
        **market, "subject_category": "individual_business", "subject_name": "江阴市长泾镇李记小吃店",
        "subject_uscc": codes[103], "legal_representative": "李秀英", "licence_category": "普通",
        "certificate_name": "食品经营许可证", "licence_no": "JY23202810031818", "content": "热食类食品制售",
        "decided_on": day(200), "valid_from": day(200), "valid_to": (today + timedelta(days=1625)).isoformat(),
        "state": "valid", "data_source": MARKET})
    penalties = [
        (101, "澄市监罚〔2026〕118号", "general", 120, "未按规定公示年度报告", "逾期未报送2025年度报告，经责令仍未改正",
         "《企业信息公示暂行条例》第十八条", "罚款", "罚款人民币伍仟元", "5000", MARKET, market),
        (104, "澄环罚〔2026〕76号", "serious", 300, "超标排放大气污染物", "堆场扬尘污染防治措施未落实，颗粒物排放超标",
         "《中华人民共和国大气污染防治法》第九十九条", "罚款", "罚款人民币贰拾万元", "200000", "ecology", ecology),
        (103, "澄市监罚〔2026〕205号", "minor", 20, "从业人员未持有效健康证明", "一名从业人员健康证明过期",
         "《中华人民共和国食品安全法》第一百二十六条", "警告", "警告", None, MARKET, market),
    ]
    for serial, number, severity, days_ago, violation, facts, basis, category, content, fine, source, authority \
            in penalties:
        name = next(e[1] for e in ENTERPRISES if e[0] == serial)
        representative = next(e[3] for e in ENTERPRISES if e[0] == serial)
        service.record_disclosure(None, {
            "type": "penalty", "decision_no": number, **authority,
            "subject_category": "individual_business" if serial == 103 else "legal_person", "subject_name": name,
            "subject_uscc": codes[serial], "legal_representative": representative, "violation_type": violation,
            "facts": facts, "legal_basis": basis, "penalty_category": category, "content": content,
            "fine_amount": fine, "decided_on": day(days_ago), "severity": severity, "data_source": source})
    service.record_disclosure(None, {
        "type": "penalty", "decision_no": "澄公交罚〔2026〕5521号", **_authority(TRAFFIC_AUTHORITY),
        "subject_category": "natural_person", "subject_name": "王建军", "violation_type": "机动车违法占用应急车道",
        "facts": "在锡澄高速占用应急车道行驶", "legal_basis": "《中华人民共和国道路交通安全法》第九十条",
        "penalty_category": "罚款", "content": "罚款人民币贰佰元", "fine_amount": "200", "decided_on": day(60),
        "severity": "general", "data_source": "traffic-police"})
    lists = [("red", 101, "连续三年纳税信用等级A级", "国家税务总局江阴市税务局", 30),
             ("black", 104, "拒不履行生效判决确定的给付义务", "江阴市人民法院", 90),
             ("watch", 105, "一年内三次未按规定报送统计数据", "江阴市统计局", 45)]
    for list_name, serial, reason, authority_name, days_ago in lists:
        service.record_list_entry(None, {
            "list": list_name, "subject_uscc": codes[serial], "reason": reason, "listed_on": day(days_ago),
            "subject_name": next(e[1] for e in ENTERPRISES if e[0] == serial), "listing_authority": authority_name,
            "data_source": "credit-office"})
    service.publish_exposure(None, title="建材堆场扬尘超标排放被处罚二十万元",
                             facts="君山建材贸易公司堆场未落实扬尘防治措施，颗粒物排放超标，经责令改正仍未整改。",
                             decision_no="澄环罚〔2026〕76号")
