"""The default event workflow (the closed loop) and the demo's category tree. Both are data:
`gridgov events init` writes them into a new installation; admins change them afterwards."""

from __future__ import annotations

from typing import Any

DEFAULT_WORKFLOW = "event_default"

DISPATCH = ["events.dispatch"]
HANDLE = ["events.handle"]
CHECK = ["events.check"]

OPEN = ["reported", "accepted", "dispatched", "handling", "feedback", "extension_requested"]

# Step limits are working hours in a state (受理 and 派遣 within two, 签收 within four, ...);
# handling has none of its own: the case's deadline governs it.
EVENT_WORKFLOW: dict[str, Any] = {
    "initial": "reported",
    "states": {
        "reported": {"label": "已上报", "time_limit_hours": 2},
        "accepted": {"label": "已受理", "time_limit_hours": 2},
        "dispatched": {"label": "已派遣", "time_limit_hours": 4},
        "handling": {"label": "处置中"},
        "extension_requested": {"label": "延期申请中", "time_limit_hours": 4},
        "suspended": {"label": "已挂起", "clock": "stopped"},
        "feedback": {"label": "待核查", "time_limit_hours": 8},
        "closed": {"label": "已结案"},
        "rated": {"label": "已评价", "final": True},
        "voided": {"label": "已作废", "final": True},
    },
    "transitions": [
        {
            "action": "accept",
            "label": "受理立案",
            "from": ["reported"],
            "to": "accepted",
            "permissions": DISPATCH,
        },
        {
            "action": "void",
            "label": "作废",
            "from": ["reported", "accepted"],
            "to": "voided",
            "permissions": DISPATCH,
            "required": ["comment"],
        },
        {
            "action": "merge",
            "label": "合并到重复事件",
            "from": ["reported", "accepted"],
            "to": "voided",
            "permissions": DISPATCH,
            "required": ["target_id"],
        },
        {
            "action": "self_settle",
            "label": "自办结",
            "from": ["reported"],
            "to": "closed",
            "roles": ["grid_worker"],
            # The after photo (处置后照片) is the proof a matter settled on the spot is settled.
            "required": ["comment", "media_ids"],
        },
        {
            "action": "dispatch",
            "label": "派遣",
            "from": ["accepted"],
            "to": "dispatched",
            "permissions": DISPATCH,
            "required": ["department_id"],
        },
        {
            "action": "reassign",
            "label": "改派",
            "from": ["dispatched", "handling"],
            "to": "dispatched",
            "permissions": DISPATCH,
            "required": ["department_id", "comment"],
        },
        {
            "action": "classify",
            "label": "修改分类",
            "from": ["reported", "accepted"],
            "to": "=",
            "permissions": DISPATCH,
            "required": ["category_code"],
        },
        {
            "action": "assist_feedback",
            "label": "协办反馈",
            "from": ["dispatched", "handling", "extension_requested"],
            "to": "=",
            "permissions": HANDLE,
            "required": ["comment"],
        },
        {
            "action": "receive",
            "label": "签收",
            "from": ["dispatched"],
            "to": "handling",
            "permissions": HANDLE,
        },
        {
            "action": "return",
            "label": "退回",
            "from": ["dispatched", "handling"],
            "to": "accepted",
            "permissions": HANDLE,
            "required": ["comment"],
        },
        {
            "action": "request_extension",
            "label": "申请延期",
            "from": ["handling"],
            "to": "extension_requested",
            "permissions": HANDLE,
            "required": ["hours", "comment"],
        },
        {
            "action": "approve_extension",
            "label": "批准延期",
            "from": ["extension_requested"],
            "to": "handling",
            "permissions": DISPATCH,
        },
        {
            "action": "reject_extension",
            "label": "驳回延期",
            "from": ["extension_requested"],
            "to": "handling",
            "permissions": DISPATCH,
            "required": ["comment"],
        },
        {
            "action": "suspend",
            "label": "挂起",
            "from": ["accepted", "dispatched", "handling"],
            "to": "suspended",
            "permissions": DISPATCH,
            "required": ["comment"],
        },
        {
            "action": "resume",
            "label": "恢复",
            "from": ["suspended"],
            "to": "handling",
            "permissions": DISPATCH,
        },
        {
            "action": "escalate",
            "label": "升级",
            "from": ["reported", "accepted", "dispatched", "handling"],
            "to": "accepted",
            "permissions": ["events.handle", "events.dispatch"],
            "required": ["comment"],
        },
        {
            "action": "supervise",
            "label": "督办",
            "from": OPEN,
            "to": "=",
            "permissions": ["events.supervise"],
            "required": ["card", "comment"],
        },
        {
            "action": "instruct",
            "label": "领导批示",
            "from": OPEN,
            "to": "=",
            "permissions": ["events.instruct"],
            "required": ["comment"],
        },
        {
            "action": "feedback",
            "label": "处置反馈",
            "from": ["handling"],
            "to": "feedback",
            "permissions": HANDLE,
            "required": ["comment"],
        },
        {
            "action": "approve",
            "label": "核查通过",
            "from": ["feedback"],
            "to": "closed",
            "permissions": CHECK,
        },
        {
            "action": "rework",
            "label": "返工",
            "from": ["feedback"],
            "to": "handling",
            "permissions": CHECK,
            "required": ["comment"],
        },
        {
            "action": "spot_check_pass",
            "label": "抽查通过",
            "from": ["closed"],
            "to": "=",
            "permissions": CHECK,
        },
        {
            "action": "spot_check_fail",
            "label": "抽查不合格",
            "from": ["closed"],
            "to": "handling",
            "permissions": CHECK,
            "required": ["comment"],
        },
        {
            "action": "rate",
            "label": "评价",
            "from": ["closed"],
            "to": "rated",
            "permissions": ["events.rate", "events.check"],
            "required": ["satisfaction"],
        },
        {
            "action": "reopen",
            "label": "不满意重办",
            "from": ["closed"],
            "to": "handling",
            "permissions": ["events.rate"],
            "required": ["comment"],
        },
    ],
    # Past a step limit the center is told; escalating the case is the case deadline's job.
    "escalation": [
        {"state": "reported", "notify": ["center_operator"]},
        {"state": "dispatched", "notify": ["center_operator"]},
        {"state": "extension_requested", "notify": ["center_operator"]},
    ],
}

# (code, name, parent, working hours to close, default department, keywords for rules)
CATEGORIES: tuple[tuple[str, str, str | None, float, str | None, tuple[str, ...]], ...] = (
    ("01", "市容环境", None, 24, "dept-cg", ()),
    ("0101", "垃圾堆放", "01", 8, "dept-cg", ("垃圾", "堆放", "乱倒", "建筑垃圾")),
    ("0102", "暴露垃圾", "01", 8, "dept-cg", ("暴露垃圾", "垃圾满溢", "垃圾桶满")),
    ("0103", "乱贴乱画", "01", 16, "dept-cg", ("小广告", "乱贴", "涂鸦")),
    ("0104", "道路不洁", "01", 8, "dept-cg", ("路面脏", "泥土", "污水横流")),
    ("02", "街面秩序", None, 16, "dept-cg", ()),
    ("0201", "占道经营", "02", 8, "dept-cg", ("占道", "摆摊", "流动摊贩", "出店经营")),
    ("0202", "违章停车", "02", 4, "dept-jj", ("违停", "违章停车", "乱停", "堵住")),
    ("0203", "噪音扰民", "02", 8, "dept-hb", ("噪音", "噪声", "扰民", "吵")),
    ("0204", "私搭乱建", "02", 40, "dept-zr", ("私搭乱建", "违建", "违章建筑", "搭建")),
    ("03", "公用设施", None, 24, "dept-cg", ()),
    ("0301", "井盖破损丢失", "03", 4, "dept-sw", ("井盖",)),
    ("0302", "路灯不亮", "03", 24, "dept-cg", ("路灯",)),
    ("0303", "道路破损", "03", 40, "dept-jt", ("坑洼", "路面破损", "塌陷")),
    ("0304", "供水供气故障", "03", 8, "ent-water", ("停水", "漏水", "燃气", "水管")),
    ("04", "安全隐患", None, 8, "dept-yj", ()),
    ("0401", "消防通道占用", "04", 4, "dept-xf", ("消防通道", "消防车道")),
    ("0402", "电动车进楼入梯", "04", 4, "dept-xf", ("电动车", "飞线充电", "进楼", "入梯")),
    ("0403", "危险建筑", "04", 8, "dept-zj", ("危房", "墙体开裂", "倒塌")),
    ("0404", "燃气安全", "04", 2, "ent-gas", ("燃气泄漏", "煤气味")),
    ("05", "矛盾纠纷", None, 40, None, ()),
    ("0501", "邻里纠纷", "05", 40, None, ("邻居", "邻里", "纠纷")),
    ("0502", "物业纠纷", "05", 40, "dept-zj", ("物业", "物业费")),
    ("0503", "劳资纠纷", "05", 40, "dept-rs", ("欠薪", "工资", "拖欠")),
    ("06", "民生服务", None, 40, None, ()),
    ("0601", "社会保障", "06", 40, "dept-rs", ("社保", "医保", "低保")),
    ("0602", "教育服务", "06", 40, "dept-jy", ("学校", "入学", "教育")),
    ("0603", "医疗卫生", "06", 40, "dept-wj", ("医院", "卫生", "疫苗")),
    ("0604", "市场监管", "06", 24, "dept-sj", ("食品", "过期", "价格", "消费")),
    ("07", "生态环境", None, 24, "dept-hb", ()),
    ("0701", "大气污染", "07", 16, "dept-hb", ("烟尘", "焚烧", "异味", "扬尘")),
    ("0702", "水体污染", "07", 24, "dept-hb", ("河道", "污水", "排污")),
    ("99", "其他事项", None, 40, None, ()),
    ("9901", "其他", "99", 40, None, ()),
)

OTHER_CATEGORY = "9901"
