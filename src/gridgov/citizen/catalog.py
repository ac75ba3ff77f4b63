"""What the public sees of the category tree: guidance per category, the extra questions some
categories ask (Open311 calls them attributes), and which categories are sensitive.

Data, not code: the demo's categories are in ``events/catalog.py``; a category without an entry
here gets its group's guidance and asks nothing extra."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


@dataclass(frozen=True)
class Attribute:
    """One extra question of a category (an Open311 service attribute)."""

    code: str
    description: str
    datatype: Datatype
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()  # (key, name) for the list types
    datatype_description: str = ""


@dataclass(frozen=True)
class Guidance:
    include: str  # 请说明: what a useful report says
    not_here: str = ""  # 不在此受理: what belongs to another channel
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)


YES_NO = (("yes", "是"), ("no", "否"))
EMERGENCY = "遇火灾、伤人、燃气泄漏等紧急情况请立即拨打 110/119/120。"

GROUP_GUIDANCE: dict[str, Guidance] = {
    "01": Guidance(
        "问题的具体位置、范围大小，最好附一张现场照片。", "私人院落内部的卫生问题请联系物业。"
    ),
    "02": Guidance(
        "发生地点、持续时间或出现的时段，附照片更易核实。", "正在发生的交通事故请拨打 122。"
    ),
    "03": Guidance(
        "设施所在位置（路名、门牌或附近标志物）和损坏情况。", "小区内部设施请先联系物业。"
    ),
    "04": Guidance("隐患的位置和现状，有无人员受困或受伤。", EMERGENCY),
    "05": Guidance(
        "纠纷的大致情况和您希望得到的帮助；请勿填写他人身份证号、电话等个人信息。",
        "已进入诉讼或仲裁程序的纠纷不在此受理；正在发生的打架斗殴请拨打 110。",
    ),
    "06": Guidance(
        "需要咨询或反映的事项，涉及的单位名称。", "个人社保、医保账户查询请使用相应政务服务平台。"
    ),
    "07": Guidance("污染的位置、出现的时间和现象（颜色、气味、烟尘等）。", EMERGENCY),
    "99": Guidance("请尽量描述清楚问题、位置和时间。", EMERGENCY),
}

CATEGORY_GUIDANCE: dict[str, Guidance] = {
    "0101": Guidance(
        "垃圾堆放的位置、大致数量，是否有人正在倾倒。",
        "上门回收大件家具请联系环卫预约。",
        (
            Attribute(
                "waste_kind",
                "垃圾类型",
                "singlevaluelist",
                True,
                (("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件垃圾")),
            ),
        ),
    ),
    "0203": Guidance(
        "噪音来源（施工、商铺、娱乐场所等）和出现的时段。",
        "邻居家中日常生活噪音可选择“邻里纠纷”。",
        (
            Attribute(
                "noise_period",
                "出现时段",
                "singlevaluelist",
                True,
                (("day", "白天"), ("evening", "傍晚"), ("night", "夜间（22时至次日6时）")),
            ),
        ),
    ),
    "0301": Guidance(
        "井盖所在位置、是破损、丢失还是移位；如有人员坠落风险请先设置警示。",
        EMERGENCY,
        (
            Attribute(
                "cover_state",
                "井盖状况",
                "singlevaluelist",
                True,
                (("broken", "破损"), ("missing", "丢失"), ("shifted", "移位")),
            ),
        ),
    ),
    "0302": Guidance(
        "路灯所在路段，不亮的大致数量，最好附上灯杆编号。",
        "",
        (
            Attribute(
                "lamp_count",
                "不亮的路灯数量",
                "number",
                False,
                datatype_description="整数，估计即可",
            ),
            Attribute("pole_number", "灯杆编号（如能看到）", "string"),
        ),
    ),
    "0304": Guidance(
        "停水、漏水的位置和开始时间；闻到燃气味请立即远离并拨打燃气抢修电话。",
        EMERGENCY,
        (
            Attribute(
                "utility_kind",
                "故障类型",
                "singlevaluelist",
                True,
                (("no_water", "停水"), ("leak", "漏水"), ("gas", "燃气")),
            ),
        ),
    ),
    "0402": Guidance(
        "楼栋位置，是否正在充电或长期停放在楼道、电梯内。",
        EMERGENCY,
        (Attribute("charging_now", "是否正在充电", "singlevaluelist", False, YES_NO),),
    ),
    "0502": Guidance(
        "小区名称、与物业的分歧所在；请勿填写他人的个人信息。",
        "物业合同纠纷已起诉的请通过法院处理。",
    ),
}

# Categories about people rather than places: their public copies carry no title, no text and
# only a location snapped to a coarse cell.
SENSITIVE_GROUPS = ("05",)
SENSITIVE_CATEGORIES = frozenset({"0601", "0603"})
# About 500 m: the cell a sensitive case's public point is snapped to.
BLUR_CELL_DEGREES = 0.005


def guidance_for(code: str, parent_code: str | None) -> Guidance:
    found = CATEGORY_GUIDANCE.get(code)
    if found is not None:
        return found
    group = GROUP_GUIDANCE.get(parent_code or code[:2])
    return group or GROUP_GUIDANCE["99"]


def attributes_for(code: str) -> tuple[Attribute, ...]:
    found = CATEGORY_GUIDANCE.get(code)
    return found.attributes if found is not None else ()


def is_sensitive(category_code: str) -> bool:
    return category_code.startswith(SENSITIVE_GROUPS) or category_code in SENSITIVE_CATEGORIES


def blur(lon: float, lat: float) -> tuple[float, float]:
    """The centre of the ~500 m cell the point lies in: every point of a cell gives the same."""
    cell = BLUR_CELL_DEGREES
    return (
        round((lon // cell) * cell + cell / 2, 6),
        round((lat // cell) * cell + cell / 2, 6),
    )


# A mainland mobile number, an 18-character ID number, or a landline: what a citizen may type
# into free text and what no public copy may carry.
_PERSONAL = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|\d{17}[\dXx]|\d{15}|0\d{2,3}-?\d{7,8})(?![\dXx])")


def redact(text: str) -> str:
    """Public text: phone and ID numbers replaced by a placeholder."""
    return _PERSONAL.sub("［已隐去］", text)


def validate_answers(
    code: str, answers: dict[str, str]
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The answers kept (known codes, trimmed, at most 200 characters each) and the problems
    (attribute code, Chinese message)."""
    kept: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for attribute in attributes_for(code):
        value = str(answers.get(attribute.code, "") or "").strip()[:200]
        if not value:
            if attribute.required:
                problems.append((attribute.code, f"请填写“{attribute.description}”"))
            continue
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            allowed = {key for key, _ in attribute.values}
            chosen = value.split(",") if attribute.datatype == "multivaluelist" else [value]
            if any(c not in allowed for c in chosen):
                problems.append((attribute.code, f"“{attribute.description}”的取值无效"))
                continue
        if attribute.datatype == "number":
            try:
                float(value)
            except ValueError:
                problems.append((attribute.code, f"“{attribute.description}”应为数字"))
                continue
        kept[attribute.code] = value
    return kept, problems


def describe_answers(code: str, answers: dict[str, str]) -> str:
    """The answers as lines for the case description, in the category's words."""
    lines = []
    for attribute in attributes_for(code):
        if attribute.code not in answers:
            continue
        value = answers[attribute.code]
        names = dict(attribute.values)
        shown = "、".join(names.get(v, v) for v in value.split(",")) if names else value
        lines.append(f"{attribute.description}：{shown}")
    return "\n".join(lines)
