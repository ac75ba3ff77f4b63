"""GB 11643-1999 citizen identity numbers: 17 digits and a check character (ISO 7064 MOD 11-2)."""

from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-character ID number, or None if it is."""
    value = value.strip().upper()
    if len(value) != 18:
        return "身份证号应为18位"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号前17位应为数字，末位为数字或X"
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if birth.year < 1900 or birth > date.today():
        return "身份证号中的出生日期无效"
    if check_character(value[:17]) != value[17]:
        return "身份证号校验位错误"
    return None


def birth_date(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender(value: str) -> str:
    """The 17th digit is odd for men, even for women."""
    return "男" if int(value[16]) % 2 == 1 else "女"


def make(area_code: str, birth: date, sequence: int) -> str:
    """A well-formed number for demo data: area, birth date, 3-digit sequence, check."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_character(first17)
