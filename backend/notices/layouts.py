"""Each notice kind's subscribe-message template, and the one way its data is built (SPEC §10).

Notices are written in Chinese, not in the language of the request that causes them: a resident reads
the notice in WeChat, while the request may be a staff member's in English. Each value is formatted for
its keyword's type by WeChat's rules (``backend.wechat.keywords``).
"""

from backend.wechat.keywords import FORMATTERS, KEY

# Each notice kind's template: its keywords, and what the template names each one in WeChat's console
# (pick or create a template with these keywords, then set its id in WECHAT_TEMPLATE_IDS).
LAYOUTS: dict[str, dict[str, str]] = {
    "penalty_recorded": {"thing1": "扣分事项", "number2": "扣减分值", "time3": "记录时间", "thing4": "温馨提示"},
    "report_acknowledged": {"character_string1": "举报编号", "thing2": "举报事项", "phrase3": "处理状态",
                            "time4": "处理时间"},
    "report_decided": {"character_string1": "举报编号", "thing2": "举报事项", "phrase3": "处理结果",
                       "time4": "处理时间"},
    "repair_decided": {"thing1": "修复事项", "phrase2": "审核结果", "time3": "审核时间", "thing4": "备注"},
    "objection_decided": {"thing1": "异议事项", "phrase2": "处理结果", "time3": "处理时间", "thing4": "备注"},
}


def build(kind: str, **values) -> dict[str, str]:
    """The data of a ``kind`` notice: each of its layout's keywords, formatted for its type."""
    layout = LAYOUTS[kind]
    if set(values) != set(layout):
        raise ValueError(f"a {kind} notice has the keywords {', '.join(layout)}")
    return {key: FORMATTERS[KEY.fullmatch(key).group(1)](values[key]) for key in layout}
