"""The default mediation workflow (data, like every workflow): `gridgov mediation init` and the
demo seed write it; admins change it afterwards in the workflow editor.

登记 → 受理 → 调解（每次调解一条记录）→ 达成协议 / 部分达成 / 未达成转诉讼、仲裁或信访 → 履行
→ 回访 → 结案. Escalation to a higher mediation organisation, a change of risk grade and each
follow-up visit are acts that keep the state ("=").

The time limit (default 30 days from registration, ``GRIDGOV_MEDIATION_DAYS``) is counted in
calendar days, as the People's Mediation rules count it, by the mediation feature's own scan;
the engine's step limits count office hours and are not used here."""

from __future__ import annotations

from typing import Any

MEDIATION_WORKFLOW_CODE = "mediation_default"
WRITE = ["disputes.write"]

# States in which the time limit runs (before an outcome is reached).
OPEN_STATES = ("registered", "accepted", "mediating")
# States after which nothing happens any more.
FINAL_STATES = ("closed", "rejected")

MEDIATION_WORKFLOW: dict[str, Any] = {
    "initial": "registered",
    "states": {
        "registered": {"label": "已登记"},
        "accepted": {"label": "已受理"},
        "mediating": {"label": "调解中"},
        "agreed": {"label": "已达成协议"},
        "referred": {"label": "已转其他渠道"},
        "following": {"label": "履行回访中"},
        "closed": {"label": "已结案", "final": True},
        "rejected": {"label": "不予受理", "final": True},
    },
    "transitions": [
        {
            "action": "accept",
            "label": "受理",
            "from": ["registered"],
            "to": "accepted",
            "permissions": WRITE,
        },
        {
            "action": "reject",
            "label": "不予受理",
            "from": ["registered"],
            "to": "rejected",
            "permissions": WRITE,
            "required": ["comment"],
        },
        {
            "action": "session",
            "label": "调解记录",
            "from": ["accepted", "mediating"],
            "to": "mediating",
            "permissions": WRITE,
            "required": ["session_date", "participants", "comment"],
        },
        {
            "action": "escalate",
            "label": "提级调解",
            "from": ["registered", "accepted", "mediating"],
            "to": "=",
            "permissions": WRITE,
            "required": ["comment"],
        },
        {
            "action": "regrade",
            "label": "调整风险等级",
            "from": ["registered", "accepted", "mediating", "agreed", "referred", "following"],
            "to": "=",
            "permissions": WRITE,
            "required": ["risk_grade", "comment"],
        },
        {
            "action": "agree",
            "label": "达成协议",
            "from": ["mediating"],
            "to": "agreed",
            "permissions": WRITE,
            "required": ["terms"],
        },
        {
            "action": "agree_partial",
            "label": "部分达成协议",
            "from": ["mediating"],
            "to": "agreed",
            "permissions": WRITE,
            "required": ["terms", "comment"],
        },
        {
            "action": "fail",
            "label": "调解不成",
            "from": ["mediating"],
            "to": "referred",
            "permissions": WRITE,
            "required": ["referral", "comment"],
        },
        {
            "action": "perform",
            "label": "登记履行情况",
            "from": ["agreed"],
            "to": "following",
            "permissions": WRITE,
            "required": ["performance"],
        },
        {
            "action": "follow_up",
            "label": "回访",
            "from": ["following", "referred"],
            "to": "=",
            "permissions": WRITE,
            "required": ["comment"],
        },
        {
            "action": "close",
            "label": "结案",
            "from": ["following", "referred"],
            "to": "closed",
            "permissions": WRITE,
            "required": ["comment"],
        },
    ],
}
