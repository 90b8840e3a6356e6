"""WeChat notices within the subscribe-message keyword rules (SPEC §10): each rule at its boundary, safe
cuts, every notice kind in Chinese, and stand-ins that refuse what WeChat refuses (errcode 47003)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from backend.credit.service import penalty_notice
from backend.notices.layouts import LAYOUTS, build
from backend.wechat import DevelopmentExchanger
from backend.wechat import keywords as kw
from tests.test_wechat_client import SEND, new_client, wechat  # noqa: F401 - a fixture used here too

AT = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 14:30 in Asia/Shanghai
FAMILY = "👨‍👩‍👧"  # one emoji of five code points (eight UTF-16 units)


def refused(key: str, value) -> bool:
    return bool(kw.problems({key: value}))


# -- each rule at its boundary -----------------------------------------------------------------------------

def test_a_thing_holds_twenty_characters_and_not_twenty_one():
    assert not refused("thing1", "信" * 20)
    assert refused("thing1", "信" * 21)
    assert refused("thing1", "第一行\n第二行")


def test_a_long_thing_is_cut_to_twenty_ending_with_an_ellipsis():
    text = kw.thing("江阴市澄江街道某某小区门前三包责任区内乱堆杂物且多次劝阻不改")
    assert len(text) == 20 and text.endswith("…") and not refused("thing1", text)
    assert kw.thing("信" * 20) == "信" * 20  # exactly at the limit: not cut


def test_a_cut_never_splits_an_emoji_or_a_surrogate_pair():
    for text in ("乱" * 17 + FAMILY + "尾", "乱" * 18 + "😀😀", "🇨🇳" * 15, "a" * 19 + "😀"):
        cut = kw.thing(text)
        assert not refused("thing1", cut), cut
        cut.encode("utf-8")  # a broken surrogate pair cannot be encoded
        assert cut.endswith("…")
        body = cut[:-1]
        assert FAMILY not in text or FAMILY in body or "\u200d" not in body  # the family is whole or gone
        assert not body.endswith(("\u200d", "\U0001F1E8"))  # no half of a joined emoji or of a flag


def test_a_thing_counts_an_emoji_by_its_utf16_units():
    assert kw.units("😀") == 2
    assert not refused("thing1", "信" * 18 + "😀")
    assert refused("thing1", "信" * 19 + "😀")


def test_a_time_is_written_in_china_time_as_wechat_asks():
    assert kw.time(AT) == "2026年12月03日 14:30"
    assert not refused("time2", "2026年12月03日 14:30")
    for wrong in ("2026-12-03 14:30", "2026年12月3日 14:30", "2026年12月03日", "14:30", "2026-12-03T14:30:00+08:00"):
        assert refused("time2", wrong), wrong


def test_a_date_is_written_as_wechat_asks():
    assert kw.date_(date(2026, 12, 3)) == "2026年12月03日"
    assert kw.date_(datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) == "2026年12月04日"  # 01:00 the next day in China
    assert not refused("date3", "2026年12月03日")
    assert refused("date3", "2026-12-03")


def test_a_phrase_holds_five_chinese_characters():
    assert not refused("phrase3", "恶意举报已")
    assert refused("phrase3", "恶意举报已结")
    assert refused("phrase3", "ok")
    assert kw.phrase("恶意举报已经结案") == "恶意举报已"


def test_a_number_holds_thirty_two_digits():
    assert not refused("number2", "9" * 32)
    assert refused("number2", "9" * 33)
    assert refused("number2", "-5")
    assert not refused("number2", "12.5")
    assert kw.number(-30) == "30"
    with pytest.raises(ValueError):
        kw.number(10**32)


def test_a_character_string_holds_thirty_two_ascii_characters():
    assert not refused("character_string1", "JB" + "7" * 30)
    assert refused("character_string1", "JB" + "7" * 31)
    assert refused("character_string1", "举报JB2026")
    assert refused("character_string1", "JB 2026")
    cut = kw.character_string("R" * 40)
    assert len(cut) == 32 and cut.endswith("...") and not refused("character_string1", cut)


def test_an_amount_is_written_in_yuan_with_two_decimals():
    assert kw.amount(Decimal("12.5")) == "12.50元"
    assert kw.amount(300) == "300.00元"
    assert not refused("amount4", "12.50元")
    for wrong in ("12.5", "¥12.50", "12.505元", "12,50元"):
        assert refused("amount4", wrong), wrong


def test_a_name_holds_ten_chinese_characters_or_twenty_letters():
    assert not refused("name5", "欧" * 10)
    assert refused("name5", "欧" * 11)
    assert not refused("name5", "A" * 20)
    assert refused("name5", "A" * 21)
    assert kw.name("欧阳" * 6) == "欧阳" * 4 + "欧…"


def test_a_key_that_is_no_keyword_and_an_empty_value_are_refused():
    assert kw.problems({"title": "门前三包"}) == ["title: not a keyword name"]
    assert refused("thing1", "")
    assert refused("thing1", 5)


# -- every notice kind ----------------------------------------------------------------------------------

LONG = "江阴市澄江街道君山社区🏠门前三包责任区内\n乱堆杂物且多次劝阻不改的情形😀"
SAMPLES = {
    "penalty_recorded": {"thing1": LONG, "number2": -30, "time3": AT, "thing4": LONG},
    "report_acknowledged": {"character_string1": "JB20261203000123ABCDEFGHIJKLMNOPQRST", "thing2": LONG,
                            "phrase3": "已受理", "time4": AT},
    "report_decided": {"character_string1": "JB20261203000123", "thing2": LONG, "phrase3": "恶意举报", "time4": AT},
    "repair_decided": {"thing1": LONG, "phrase2": "通过", "time3": AT, "thing4": LONG},
    "objection_decided": {"thing1": LONG, "phrase2": "不予支持", "time3": AT, "thing4": LONG},
}


def test_every_notice_kind_has_a_sample_here():
    assert set(SAMPLES) == set(LAYOUTS)


@pytest.mark.parametrize("kind", list(LAYOUTS))
def test_every_notice_kind_fits_the_rules_even_with_long_text_and_emoji(kind):
    data = build(kind, **SAMPLES[kind])
    assert kw.problems(data) == []
    assert list(data) == list(LAYOUTS[kind])
    assert all(label for label in LAYOUTS[kind].values())


def test_a_notice_with_a_keyword_missing_or_unknown_is_a_programming_error():
    with pytest.raises(ValueError):
        build("report_decided", thing2="x", phrase3="属实", time4=AT)
    with pytest.raises(ValueError):
        build("report_decided", character_string1="JB1", thing2="x", phrase3="属实", time4=AT, thing9="x")


def test_the_penalty_notice_is_chinese_and_fits():
    event = SimpleNamespace(rubric_code="LV-T1", title="在禁止区域内违规燃放烟花爆竹并造成他人财产损失", points=-30,
                            kind="penalty", repairable=False,
                            occurred_at=AT)
    data = penalty_notice(event)
    assert data == {"thing1": "在禁止区域内违规燃放烟花爆竹并造成他人…", "number2": "30",
                    "time3": "2026年12月03日 14:30", "thing4": "如有异议，可在小程序内提出"}
    assert kw.problems(data) == []


# -- the stand-ins refuse what WeChat refuses ----------------------------------------------------------------

def test_the_wechat_standin_refuses_data_that_breaks_the_rules_with_47003(wechat):  # noqa: F811
    client = new_client(wechat.base_url)
    result = client.send_subscribe_message("o-alice", "tmpl", {"thing1": "信" * 21, "time2": "2026-12-03"})
    assert (result.status, result.errcode) == ("failed", 47003)
    assert "thing1" in result.errmsg and "time2" in result.errmsg
    good = build("report_decided", character_string1="JB1", thing2="信" * 30, phrase3="属实", time4=AT)
    assert client.send_subscribe_message("o-alice", "tmpl", good).status == "sent"
    assert wechat.to(SEND)[-1].body["data"]["thing2"] == {"value": "信" * 19 + "…"}


def test_the_development_exchanger_refuses_data_that_breaks_the_rules_with_47003():
    exchanger = DevelopmentExchanger()
    result = exchanger.send_subscribe_message("o-alice", "dev-penalty_recorded", {"phrase1": "处理完毕了吗"})
    assert (result.status, result.errcode) == ("failed", 47003)
    assert list(exchanger.sent) == []
    assert exchanger.send_subscribe_message("o-alice", "dev", {"phrase1": "已受理"}).status == "sent"
