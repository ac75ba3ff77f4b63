"""Demo organisations: the command center, district departments, street offices, committees."""

from __future__ import annotations

from sqlalchemy import insert, select

from gridgov.orgs.models import Organisation, OrgKind
from gridgov.regions.models import RegionLevel
from gridgov.seed.context import SeedContext

# (short code used in usernames, full name, short name)
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("jj", "公安分局交通警察大队", "交警"),
    ("cg", "综合行政执法局", "城管"),
    ("sj", "市场监督管理局", "市场监管"),
    ("zj", "住房和城乡建设局", "住建"),
    ("hb", "生态环境分局", "生态环境"),
    ("yj", "应急管理局", "应急管理"),
    ("xf", "消防救援大队", "消防"),
    ("ga", "公安分局", "公安"),
    ("wj", "卫生健康局", "卫健"),
    ("jy", "教育和体育局", "教体"),
    ("mz", "民政局", "民政"),
    ("sw", "水务局", "水务"),
    ("zr", "自然资源和规划分局", "自然资源"),
    ("jt", "交通运输局", "交通运输"),
    ("rs", "人力资源和社会保障局", "人社"),
    ("sf", "司法局", "司法"),
    ("xfj", "信访局", "信访"),
    ("yl", "园林绿化服务中心", "园林"),
)

UTILITIES: tuple[tuple[str, str], ...] = (
    ("power", "国网供电公司太白湖供电中心"),
    ("water", "城区供水公司"),
    ("gas", "港华燃气公司"),
    ("telecom", "通信运营商联合维护中心"),
)


def generate(ctx: SeedContext) -> None:
    roots = [r for r in ctx.regions if r.level in (RegionLevel.DISTRICT, RegionLevel.CITY)]
    root = roots[0]
    rows: list[dict[str, object]] = []

    def add(code: str, name: str, short: str | None, kind: OrgKind, region_code: str) -> None:
        region = ctx.region(region_code)
        rows.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "kind": kind.value,
                "region_id": region.id,
                "region_path": region.path,
                "phone": f"0537-{ctx.rng.randint(2000000, 3999999)}",
            }
        )

    prefix = root.name
    add("center", f"{prefix}社会治理中心", "治理中心", OrgKind.COMMAND_CENTER, root.code)
    for short, name, label in DEPARTMENTS:
        add(f"dept-{short}", f"{prefix}{name}", label, OrgKind.DEPARTMENT, root.code)
    for short, name in UTILITIES:
        add(f"ent-{short}", name, None, OrgKind.ENTERPRISE, root.code)
    for street in ctx.regions_at(RegionLevel.STREET):
        # Police stations answer to the district bureau but each covers one street or town.
        station = street.name.removesuffix("街道").removesuffix("镇")
        add(
            f"police-{street.code}",
            f"{station}派出所",
            f"{station}派出所",
            OrgKind.DEPARTMENT,
            street.code,
        )
        add(
            f"office-{street.code}",
            f"{street.name}办事处",
            street.name,
            OrgKind.STREET_OFFICE,
            street.code,
        )
        add(
            f"social-{street.code}",
            f"{street.name}人民调解委员会",
            None,
            OrgKind.SOCIAL_ORGANISATION,
            street.code,
        )
    for community in ctx.regions_at(RegionLevel.COMMUNITY):
        suffix = "村民委员会" if community.name.endswith("村") else "居民委员会"
        add(
            f"committee-{community.code}",
            f"{community.name}{suffix}",
            community.name,
            OrgKind.COMMUNITY_COMMITTEE,
            community.code,
        )
    ctx.progress("组织机构", 0, len(rows))
    ctx.session.execute(insert(Organisation), rows)
    ctx.org_ids.update(dict(ctx.session.execute(select(Organisation.code, Organisation.id)).all()))
    ctx.counts["organisations"] = len(rows)
    ctx.progress("组织机构", len(rows), len(rows))
