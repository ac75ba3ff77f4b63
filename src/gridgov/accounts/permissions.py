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
    # Social participants (multi-network fusion): they report and see their own cases.
    SOCIAL_ORG = "social_org"
    ENTERPRISE = "enterprise"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "管理员",
    Role.LEADER: "领导",
    Role.CENTER_OPERATOR: "社会治理中心坐席",
    Role.DEPARTMENT_HANDLER: "区直部门处置人员",
    Role.STREET_STAFF: "镇街工作人员",
    Role.COMMUNITY_STAFF: "社区工作人员",
    Role.GRID_WORKER: "网格员",
    Role.CITIZEN: "公众",
    Role.SOCIAL_ORG: "社会组织",
    Role.ENTERPRISE: "企业",
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
    ROUTING_WRITE = "routing.write"
    DISPUTES_READ = "disputes.read"
    DISPUTES_REPORT = "disputes.report"
    DISPUTES_WRITE = "disputes.write"
    DISPUTES_ALERTS = "disputes.alerts"
    NETWORKS_READ = "networks.read"
    NETWORKS_WRITE = "networks.write"
    ROSTER_WRITE = "roster.write"
    # Open311 API keys of the systems that exchange cases with us (admins only).
    OPEN311_KEYS = "open311.keys"
    # Field work (issue #7): a worker's own patrol track and household visits; the center and
    # the streets and communities follow their workers (positions, tracks, daily reports).
    PATROL_REPORT = "patrol.report"
    VISITS_WRITE = "visits.write"
    WORKERS_READ = "workers.read"
    # Tasks (任务下发): sent by the center, streets and communities; received and completed by
    # grid workers and social participants.
    TASKS_READ = "tasks.read"
    TASKS_WRITE = "tasks.write"
    TASKS_WORK = "tasks.work"
    # Campaigns (专项排查): admins define forms, the center and streets launch campaigns,
    # workers and community staff fill them in per household.
    CAMPAIGN_FORMS_WRITE = "campaigns.forms"
    CAMPAIGNS_READ = "campaigns.read"
    CAMPAIGNS_WRITE = "campaigns.write"
    CAMPAIGNS_FILL = "campaigns.fill"
    # Video calls between the center and the workers in the field.
    CALLS_MAKE = "calls.make"
    # Early warning (预警): read by whoever reads the area's analytics; acknowledged and
    # closed by the center, leaders, and street and community staff of the area.
    ALERTS_READ = "alerts.read"
    ALERTS_HANDLE = "alerts.handle"
    # Performance assessment (绩效考核): scores read in one's area; schemes and freezing a
    # month by the district's administrators and leaders.
    ASSESSMENT_READ = "assessment.read"
    ASSESSMENT_WRITE = "assessment.write"


_STAFF_READ = frozenset(
    {
        Perm.REGIONS_READ,
        Perm.ORGS_READ,
        Perm.USERS_READ,
        Perm.REGISTRY_READ,
        Perm.PERSONS_READ,
        Perm.NETWORKS_READ,
    }
)
# Those who keep the base data of their area and visit its households: they may write it and,
# giving a reason that is audited, see a resident's full ID number, phone and address.
_KEEPERS = frozenset({Perm.REGISTRY_WRITE, Perm.PERSONS_WRITE, Perm.PERSONS_REVEAL})

_EVENTS_LOCAL = frozenset({Perm.EVENTS_READ, Perm.EVENTS_REPORT, Perm.EVENTS_HANDLE})
# Disputes (矛盾纠纷): grid workers find and report them; community and street staff mediate
# them and answer early-warning alerts; the center and leaders read.
_DISPUTES_REPORT = frozenset({Perm.DISPUTES_READ, Perm.DISPUTES_REPORT})
_DISPUTES_MEDIATE = _DISPUTES_REPORT | {Perm.DISPUTES_WRITE, Perm.DISPUTES_ALERTS}
# Those who direct field work in their area: follow the workers, send tasks, read campaigns.
_FIELD_LEADS = frozenset(
    {Perm.WORKERS_READ, Perm.TASKS_READ, Perm.TASKS_WRITE, Perm.CAMPAIGNS_READ, Perm.CALLS_MAKE}
)
_FIELD_WORK = frozenset(
    {
        Perm.PATROL_REPORT,
        Perm.VISITS_WRITE,
        Perm.TASKS_READ,
        Perm.TASKS_WORK,
        Perm.CAMPAIGNS_READ,
        Perm.CAMPAIGNS_FILL,
        Perm.CALLS_MAKE,
    }
)
_ALERTS_HANDLE = frozenset({Perm.ALERTS_READ, Perm.ALERTS_HANDLE})
_SOCIAL_WORK = frozenset({Perm.EVENTS_READ, Perm.EVENTS_REPORT, Perm.TASKS_READ, Perm.TASKS_WORK})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEADER: _STAFF_READ
    | {
        Perm.AUDIT_READ,
        Perm.EVENTS_READ,
        Perm.EVENTS_SUPERVISE,
        Perm.EVENTS_INSTRUCT,
        Perm.DISPUTES_READ,
        Perm.WORKERS_READ,
        Perm.TASKS_READ,
        Perm.CAMPAIGNS_READ,
        Perm.ASSESSMENT_READ,
        Perm.ASSESSMENT_WRITE,
    }
    | _ALERTS_HANDLE,
    Role.CENTER_OPERATOR: _STAFF_READ
    | {
        Perm.EVENTS_READ,
        Perm.EVENTS_REPORT,
        Perm.EVENTS_DISPATCH,
        Perm.EVENTS_CHECK,
        Perm.EVENTS_SUPERVISE,
        Perm.DISPUTES_READ,
        Perm.CAMPAIGNS_WRITE,
    }
    | _FIELD_LEADS
    | _ALERTS_HANDLE
    | {Perm.ASSESSMENT_READ},
    # Departments see the city's things (components, places), never its people.
    Role.DEPARTMENT_HANDLER: frozenset(
        {
            Perm.REGIONS_READ,
            Perm.ORGS_READ,
            Perm.REGISTRY_READ,
            Perm.EVENTS_READ,
            Perm.EVENTS_HANDLE,
            Perm.ALERTS_READ,
            Perm.ASSESSMENT_READ,
        }
    ),
    # 小事不出格，大事不出镇: streets dispatch and check their own cases.
    Role.STREET_STAFF: _STAFF_READ
    | _KEEPERS
    | _EVENTS_LOCAL
    | _DISPUTES_MEDIATE
    | _FIELD_LEADS
    | _ALERTS_HANDLE
    | {Perm.EVENTS_DISPATCH, Perm.EVENTS_CHECK, Perm.ROSTER_WRITE, Perm.CAMPAIGNS_WRITE}
    | {Perm.ASSESSMENT_READ},
    Role.COMMUNITY_STAFF: _STAFF_READ
    | _KEEPERS
    | _EVENTS_LOCAL
    | _DISPUTES_MEDIATE
    | _FIELD_LEADS
    | _ALERTS_HANDLE
    | {Perm.EVENTS_CHECK, Perm.ROSTER_WRITE, Perm.VISITS_WRITE, Perm.CAMPAIGNS_FILL}
    | {Perm.ASSESSMENT_READ},
    Role.GRID_WORKER: frozenset(
        {Perm.REGIONS_READ, Perm.REGISTRY_READ, Perm.PERSONS_READ, Perm.NETWORKS_READ}
        | _KEEPERS
        | _EVENTS_LOCAL
        | _DISPUTES_REPORT
        | _FIELD_WORK
        | {Perm.ALERTS_READ, Perm.ASSESSMENT_READ}
    ),
    Role.CITIZEN: frozenset({Perm.EVENTS_READ, Perm.EVENTS_REPORT, Perm.EVENTS_RATE}),
    # Scoped to their own reports inside their organisation's region (accounts.services).
    Role.SOCIAL_ORG: _SOCIAL_WORK,
    Role.ENTERPRISE: _SOCIAL_WORK,
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

# Social participants: each sees only the cases it reported itself, inside its organisation's
# region (the scope combines ownership and region; see accounts.services.scope_for).
SOCIAL_ROLES = frozenset({Role.SOCIAL_ORG, Role.ENTERPRISE})
