"""How personal data is shown (SPEC §2): ``3202**********123X``, ``138****5678``, ``张*``, ``欧阳**``."""

# Two-character surnames (复姓) that stay visible whole when a name is masked.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "轩辕", "百里", "呼延", "申屠", "澹台", "太史",
    "闻人", "公冶", "濮阳", "淳于", "单于", "钟离", "赫连", "宗政", "万俟", "拓跋",
})


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """Keep the surname (one character, or a known compound surname), star the rest."""
    if not value:
        return value
    value = value.strip()
    if len(value) <= 1:
        return "*"
    keep = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:keep] + "*" * (len(value) - keep)
