"""统一社会信用代码 (GB 32100-2015): 18 characters, the 9-character organisation code of
GB 11714 inside, and a check character over the first 17."""

from __future__ import annotations

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    total = sum(CHARS.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARS[(31 - total % 31) % 31]


def organisation_check(first8: str) -> str:
    total = sum(CHARS.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make(area_code: str, body8: str, kind: str = "91") -> str:
    """A well-formed code: registration kind, area, organisation code with its check, check."""
    first17 = kind + area_code + body8 + organisation_check(body8)
    return first17 + check_character(first17)


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid credit code, or None if it is."""
    value = value.strip().upper()
    if len(value) != 18 or any(c not in CHARS for c in value):
        return "统一社会信用代码应为18位数字或大写字母（不含 I、O、S、V、Z）"
    if check_character(value[:17]) != value[17]:
        return "统一社会信用代码校验位错误"
    return None
