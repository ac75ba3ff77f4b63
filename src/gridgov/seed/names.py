"""Plausible Chinese personal names for demo accounts and residents."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏飞华建国庆志海宇浩然晨阳轩博文斌凯峰波涛亮健俊龙彬东林"
GIVEN_FEMALE = "芳娜秀英敏静丽艳娟霞兰桂玉萍红娥玲芬燕春梅丹涵欣怡婷雪慧倩琳颖洁蕾莉晶佳悦琪"
GIVEN = GIVEN_MALE + GIVEN_FEMALE


def person_name(rng: random.Random, male: bool | None = None) -> str:
    if male is None:
        male = rng.random() < 0.5
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    length = 1 if rng.random() < 0.35 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(pool) for _ in range(length))
