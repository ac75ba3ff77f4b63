"""Roles and the named permissions each grants.

Permissions are the unit of authorisation in code (``actor.require(Perm.X)``); roles are just
bundles of them, so a later admin page can re-bundle without touching any endpoint.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    CENTER_OPERATOR = "center_operator"
    DEPARTMENT_HANDLER = "department_handler"
    STREET_STAFF = "street_staff"
    COMMUNITY_STAFF = "community_staff"
    GRID_WORKER = "grid_worker"
    CITIZEN = "citizen"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "管理员",
    Role.LEADER: "领导",
    Role.CENTER_OPERATOR: "社会治理中心坐席",
    Role.DEPARTMENT_HANDLER: "区直部门处置人员",
    Role.STREET_STAFF: "镇街工作人员",
    Role.COMMUNITY_STAFF: "社区工作人员",
    Role.GRID_WORKER: "网格员",
    Role.CITIZEN: "公众",
}


class Perm(StrEnum):
    REGIONS_READ = "regions.read"
    REGIONS_WRITE = "regions.write"
    ORGS_READ = "orgs.read"
    ORGS_WRITE = "orgs.write"
    USERS_READ = "users.read"
    USERS_WRITE = "users.write"
    AUDIT_READ = "audit.read"
    REGISTRY_READ = "registry.read"
    REGISTRY_WRITE = "registry.write"
    PERSONS_READ = "persons.read"
    PERSONS_WRITE = "persons.write"
    PERSONS_REVEAL = "persons.reveal"
    CATEGORIES_WRITE = "categories.write"
    EVENTS_READ = "events.read"
    EVENTS_REPORT = "events.report"
    EVENTS_DISPATCH = "events.dispatch"
    EVENTS_HANDLE = "events.handle"
    EVENTS_CHECK = "events.check"
    EVENTS_RATE = "events.rate"
    EVENTS_SUPERVISE = "events.supervise"
    EVENTS_INSTRUCT = "events.instruct"
    WORKFLOWS_WRITE = "workflows.write"


_STAFF_READ = frozenset(
    {Perm.REGIONS_READ, Perm.ORGS_READ, Perm.USERS_READ, Perm.REGISTRY_READ, Perm.PERSONS_READ}
)
# Those who keep the base data of their area and visit its households: they may write it and,
# giving a reason that is audited, see a resident's full ID number, phone and address.
_KEEPERS = frozenset({Perm.REGISTRY_WRITE, Perm.PERSONS_WRITE, Perm.PERSONS_REVEAL})

_EVENTS_LOCAL = frozenset({Perm.EVENTS_READ, Perm.EVENTS_REPORT, Perm.EVENTS_HANDLE})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEADER: _STAFF_READ
    | {Perm.AUDIT_READ, Perm.EVENTS_READ, Perm.EVENTS_SUPERVISE, Perm.EVENTS_INSTRUCT},
    Role.CENTER_OPERATOR: _STAFF_READ
    | {
        Perm.EVENTS_READ,
        Perm.EVENTS_REPORT,
        Perm.EVENTS_DISPATCH,
        Perm.EVENTS_CHECK,
        Perm.EVENTS_SUPERVISE,
    },
    # Departments see the city's things (components, places), never its people.
    Role.DEPARTMENT_HANDLER: frozenset(
        {
            Perm.REGIONS_READ,
            Perm.ORGS_READ,
            Perm.REGISTRY_READ,
            Perm.EVENTS_READ,
            Perm.EVENTS_HANDLE,
        }
    ),
    # 小事不出格，大事不出镇: streets dispatch and check their own cases.
    Role.STREET_STAFF: _STAFF_READ
    | _KEEPERS
    | _EVENTS_LOCAL
    | {Perm.EVENTS_DISPATCH, Perm.EVENTS_CHECK},
    Role.COMMUNITY_STAFF: _STAFF_READ | _KEEPERS | _EVENTS_LOCAL | {Perm.EVENTS_CHECK},
    Role.GRID_WORKER: frozenset(
        {Perm.REGIONS_READ, Perm.REGISTRY_READ, Perm.PERSONS_READ} | _KEEPERS | _EVENTS_LOCAL
    ),
    Role.CITIZEN: frozenset({Perm.EVENTS_READ, Perm.EVENTS_REPORT, Perm.EVENTS_RATE}),
}

# Roles whose scope is a region subtree; the others are scoped by department or by ownership.
REGION_SCOPED_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.LEADER,
        Role.CENTER_OPERATOR,
        Role.STREET_STAFF,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
    }
)
