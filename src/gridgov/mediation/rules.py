"""Early-warning rules (预警): pure functions over dispute facts, no database.

A dispute is getting worse, or may, when its parties keep having disputes (with anyone, within
a year; three or more within 90 days), when its address keeps producing disputes, when its risk
grade is raised, or when its notes speak of violence or of harming oneself or others."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from gridgov.mediation.models import RISK_LABELS, RISK_ORDER, AlertRule, RiskGrade

REPEAT_PARTY_WINDOW = timedelta(days=365)
REPEAT_ADDRESS_WINDOW = timedelta(days=180)
FREQUENT_WINDOW = timedelta(days=90)
# Disputes of one party within FREQUENT_WINDOW, this one included, that make it "frequent".
FREQUENT_MIN = 3
VIOLENCE_WORDS = (
    "打人",
    "殴打",
    "持刀",
    "动刀",
    "砍人",
    "威胁",
    "扬言",
    "报复",
    "自杀",
    "轻生",
    "跳楼",
    "同归于尽",
    "拼命",
)


@dataclass(frozen=True)
class DisputeFacts:
    """What the rules need to know of one dispute."""

    id: int
    code: str
    created_at: datetime
    party_keys: frozenset[str]
    address_key: str = ""


@dataclass(frozen=True)
class Finding:
    rule: AlertRule
    reason: str


def _codes(disputes: Iterable[DisputeFacts]) -> str:
    listed = sorted(disputes, key=lambda d: d.created_at)
    shown = "、".join(d.code for d in listed[:5])
    return shown + ("等" if len(listed) > 5 else "")


def history_findings(
    subject: DisputeFacts,
    others: Iterable[DisputeFacts],
    party_names: Mapping[str, str],
) -> list[Finding]:
    """Repeated parties, frequent disputes and a repeated address, from the disputes that
    came before ``subject`` (``others``; the subject itself and later ones are ignored)."""
    earlier = [d for d in others if d.id != subject.id and d.created_at <= subject.created_at]
    findings: list[Finding] = []
    frequent: list[str] = []
    repeated: list[str] = []
    for key in sorted(subject.party_keys):
        theirs = [d for d in earlier if key in d.party_keys]
        recent = [d for d in theirs if subject.created_at - d.created_at <= FREQUENT_WINDOW]
        year = [d for d in theirs if subject.created_at - d.created_at <= REPEAT_PARTY_WINDOW]
        name = party_names.get(key, "当事人")
        if len(recent) + 1 >= FREQUENT_MIN:
            frequent.append(
                f"{name} 近 90 日内已涉及 {len(recent) + 1} 起纠纷（此前：{_codes(recent)}）"
            )
        elif year:
            repeated.append(f"{name} 近一年内曾涉及纠纷 {_codes(year)}")
    if frequent:
        findings.append(Finding(AlertRule.FREQUENT, "；".join(frequent)))
    if repeated:
        findings.append(Finding(AlertRule.REPEAT_PARTY, "；".join(repeated)))
    if subject.address_key:
        same = [
            d
            for d in earlier
            if d.address_key == subject.address_key
            and subject.created_at - d.created_at <= REPEAT_ADDRESS_WINDOW
        ]
        if same:
            findings.append(
                Finding(
                    AlertRule.REPEAT_ADDRESS,
                    f"同一地址近 180 日内已发生 {len(same)} 起纠纷（{_codes(same)}）",
                )
            )
    return findings


def violence_finding(text: str, where: str = "记录") -> Finding | None:
    """Words of violence, threats or self-harm in a description or a session's notes."""
    found = [word for word in VIOLENCE_WORDS if word in text]
    if not found:
        return None
    return Finding(AlertRule.VIOLENCE, f"{where}中出现“{'”“'.join(found)}”等字样")


def grade_finding(old: str, new: str) -> Finding | None:
    """A raised risk grade (一般 → 较大 → 重大); a lowered one is no warning."""
    before, after = RISK_ORDER.index(RiskGrade(old)), RISK_ORDER.index(RiskGrade(new))
    if after <= before:
        return None
    return Finding(
        AlertRule.GRADE_RAISED,
        f"风险等级由“{RISK_LABELS[RiskGrade(old)]}”上调为“{RISK_LABELS[RiskGrade(new)]}”",
    )


def address_key(address: str) -> str:
    """An address as compared for "same address": no spaces or punctuation."""
    drop = set(" \t\r\n,，.。、;；:：-—()（）#")
    return "".join(ch for ch in address if ch not in drop)[:200]
