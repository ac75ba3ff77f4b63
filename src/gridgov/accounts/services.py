"""Accounts: login with throttling, the actor of a request, and account administration."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy.orm import Session

from gridgov.accounts import repository
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import (
    REGION_SCOPED_ROLES,
    ROLE_PERMISSIONS,
    SOCIAL_ROLES,
    Perm,
    Role,
)
from gridgov.accounts.schemas import ScopeOut, UserCreate, UserUpdate
from gridgov.accounts.scope import Scope
from gridgov.accounts.security import burn_verification_time, hash_password, verify_password
from gridgov.audit import services as audit
from gridgov.config import Settings
from gridgov.kit import refcache
from gridgov.kit.clock import now
from gridgov.kit.errors import (
    AppError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyRequests,
)
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.regions.models import Region

# An office behind one NAT address is many people: allow it more failures than one name.
IP_FAILURE_MULTIPLIER = 4


def scope_for(user: User, assigned_paths: list[str]) -> Scope:
    role = Role(user.role)
    if role == Role.CITIZEN:
        return Scope(owner_id=user.id)
    if role in SOCIAL_ROLES:
        # Own reports only, and only inside the organisation's region (its home).
        home = user.scope_path or user.region_path
        return Scope(region_paths=(home,) if home else (), owner_id=user.id)
    region_paths: tuple[str, ...] | None = None
    if role == Role.GRID_WORKER:
        paths = list(assigned_paths) or ([user.scope_path] if user.scope_path else [])
        region_paths = tuple(paths)
    elif user.scope_path:
        region_paths = (user.scope_path,)
    elif role in REGION_SCOPED_ROLES and role != Role.ADMIN:
        # A region role with no region configured sees nothing rather than everything.
        region_paths = ()
    department_ids: tuple[int, ...] | None = None
    if role == Role.DEPARTMENT_HANDLER:
        department_ids = (user.department_id,) if user.department_id else ()
    return Scope(region_paths=region_paths, department_ids=department_ids)


def actor_for(session: Session, user: User, *, client_ip: str = "") -> Actor:
    role = Role(user.role)
    return Actor(
        id=user.id,
        username=user.username,
        role=role,
        scope=scope_for(user, repository.assigned_paths(session, user.id)),
        permissions=ROLE_PERMISSIONS[role],
        display_name=user.display_name,
        organisation_id=user.organisation_id,
        client_ip=client_ip,
    )


def describe_scope(user: User, scope: Scope) -> ScopeOut:
    def code_of(path: str) -> str:
        return path.rstrip("/").split("/")[-1]

    roots = [code_of(path) for path in scope.region_paths or ()]
    return ScopeOut(
        region_code=code_of(user.scope_path) if user.scope_path else None,
        region_codes=roots,
        department_id=user.department_id,
    )


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: AppError | None


def login(
    session: Session, username: str, password: str, *, client_ip: str, settings: Settings
) -> LoginOutcome:
    """Check a password. Failures are recorded, so the caller commits even when refusing."""
    moment = now()
    since = moment - timedelta(seconds=settings.login_failure_window_seconds)
    by_name = repository.count_failures_for_username(session, username=username, since=since)
    by_ip = repository.count_failures_for_ip(session, client_ip=client_ip, since=since)
    if (
        by_name >= settings.login_max_failures
        or by_ip >= settings.login_max_failures * IP_FAILURE_MULTIPLIER
    ):
        return LoginOutcome(
            None,
            TooManyRequests(
                "登录失败次数过多，请稍后再试",
                code="too_many_login_attempts",
                retry_after=settings.login_failure_window_seconds,
            ),
        )
    user = repository.get_by_username(session, username)
    if user is None:
        burn_verification_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    if not ok or user is None:
        repository.add_failure(session, username=username, client_ip=client_ip, at=moment)
        return LoginOutcome(None, NotAuthenticated("用户名或密码错误", code="invalid_credentials"))
    repository.clear_failures(session, username=username)
    repository.prune_failures(session, before=since)
    user.last_login_at = moment
    audit.record(
        session,
        actor=actor_for(session, user, client_ip=client_ip),
        action="auth.login",
        object_type="user",
        object_id=user.id,
        region_path=user.region_path,
        summary=f"{user.username} 登录",
    )
    return LoginOutcome(user, None)


def signed_in_actor(session: Session, user_id: int, *, client_ip: str = "") -> Actor:
    """The actor of a verified token or page session: 401 once the account is gone or
    disabled. Every request asks, so the answer is kept per process until an account or a grid
    assignment changes anywhere (``kit.refcache``)."""

    def load() -> Actor | None:
        user = repository.get_for_token(session, user_id)
        return actor_for(session, user) if user is not None and user.is_active else None

    actor = refcache.cached(session, ("signed_in_actor", user_id), load)
    if actor is None:
        raise NotAuthenticated("登录已失效，请重新登录", code="invalid_token")
    return replace(actor, client_ip=client_ip)


def user_for_token(session: Session, user_id: int) -> User:
    user = repository.get_for_token(session, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("登录已失效，请重新登录", code="invalid_token")
    return user


def get_user(session: Session, user_id: int, *, actor: Actor) -> User:
    actor.require(Perm.USERS_READ)
    user = repository.get_user(session, actor.scope, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在或不在您的管辖范围内", code="user_not_found")
    return user


def list_users(
    session: Session,
    *,
    actor: Actor,
    role: Role | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[User], int]:
    actor.require(Perm.USERS_READ)
    return repository.list_users(
        session, actor.scope, role=role.value if role else None, query=query, page=page
    )


def scope_of(session: Session, user: User) -> Scope:
    return scope_for(user, repository.assigned_paths(session, user.id))


def _resolve_scope_region(session: Session, code: str | None, *, actor: Actor) -> Region | None:
    if code is None:
        return None
    try:
        return regions.get_region(session, code, actor=actor)
    except NotFound as exc:
        raise InvalidInput(
            f"管辖区域 {code} 不存在或不在您的管辖范围内", code="scope_region_not_found"
        ) from exc


def create_user(session: Session, data: UserCreate, *, actor: Actor) -> User:
    actor.require(Perm.USERS_WRITE)
    if repository.get_by_username(session, data.username) is not None:
        raise Conflict(f"用户名 {data.username} 已被使用", code="username_taken")
    scope_region = _resolve_scope_region(session, data.scope_region_code, actor=actor)
    if data.role in REGION_SCOPED_ROLES and data.role != Role.ADMIN and scope_region is None:
        raise InvalidInput("该角色必须指定管辖区域 scope_region_code", code="scope_region_required")
    if data.role == Role.DEPARTMENT_HANDLER and data.department_id is None:
        raise InvalidInput("区直部门人员必须指定所属部门 department_id", code="department_required")
    if data.role in SOCIAL_ROLES and data.organisation_id is None:
        raise InvalidInput(
            "社会组织和企业账号必须指定所属组织 organisation_id", code="organisation_required"
        )
    organisation = (
        orgs.get_organisation(session, data.organisation_id, actor=actor)
        if data.organisation_id is not None
        else None
    )
    if data.department_id is not None:
        department = orgs.get_organisation(session, data.department_id, actor=actor)
        if not orgs.is_department(department):
            raise InvalidInput("department_id 必须是区直部门", code="not_a_department")
    home_path = (
        scope_region.path
        if scope_region is not None
        else organisation.region_path
        if organisation is not None
        else None
    )
    if home_path is None:
        if not actor.scope.is_unrestricted:
            raise InvalidInput("请指定管辖区域或所属组织", code="scope_region_required")
        home_path = ""
    if not actor.scope.covers_path(home_path) and home_path:
        raise PermissionDenied("不能在管辖范围之外创建账号", code="out_of_scope")
    user = User(
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        organisation_id=organisation.id if organisation else None,
        scope_region_id=scope_region.id if scope_region else None,
        scope_path=scope_region.path if scope_region else None,
        region_path=home_path,
        department_id=data.department_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        region_path=user.region_path,
        summary=f"新建账号 {user.username}（{data.role.value}）",
    )
    return user


def update_user(session: Session, user_id: int, data: UserUpdate, *, actor: Actor) -> User:
    actor.require(Perm.USERS_WRITE)
    user = get_user(session, user_id, actor=actor)
    changes: dict[str, object] = {}
    if data.display_name is not None and data.display_name != user.display_name:
        changes["display_name"] = [user.display_name, data.display_name]
        user.display_name = data.display_name
    if data.role is not None and data.role.value != user.role:
        if user.id == actor.id:
            raise InvalidInput("不能修改自己的角色", code="cannot_change_own_role")
        changes["role"] = [user.role, data.role.value]
        user.role = data.role.value
    if data.is_active is not None and data.is_active != user.is_active:
        if user.id == actor.id and not data.is_active:
            raise InvalidInput("不能停用自己的账号", code="cannot_deactivate_self")
        changes["is_active"] = [user.is_active, data.is_active]
        user.is_active = data.is_active
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        changes["password"] = "reset"
    if changes:
        audit.record(
            session,
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=user.id,
            region_path=user.region_path,
            summary=f"修改账号 {user.username}",
            details={"changes": changes},
        )
    return user


GRID_LEVELS = frozenset({"grid", "special_grid"})


def assign_to_grid(
    session: Session, region_code: str, user_id: int, *, duty: str, actor: Actor
) -> GridAssignment:
    actor.require(Perm.USERS_WRITE)
    region = regions.get_region(session, region_code, actor=actor)
    if region.level not in GRID_LEVELS:
        raise InvalidInput("只能把网格员分配到基础网格或专属网格", code="not_a_grid")
    user = get_user(session, user_id, actor=actor)
    if user.role != Role.GRID_WORKER:
        raise InvalidInput("只能分配网格员角色的账号", code="not_a_grid_worker")
    if repository.get_assignment(session, actor.scope, user_id=user.id, region_id=region.id):
        raise Conflict(f"{user.username} 已在该网格", code="already_assigned")
    assignment = repository.add_assignment(
        session, user_id=user.id, region_id=region.id, region_path=region.path, duty=duty
    )
    audit.record(
        session,
        actor=actor,
        action="grid.assign",
        object_type="region",
        object_id=region.code,
        region_path=region.path,
        summary=f"{user.username} 分配到 {region.name}（{duty}）",
    )
    return assignment


def unassign_from_grid(session: Session, region_code: str, user_id: int, *, actor: Actor) -> None:
    actor.require(Perm.USERS_WRITE)
    region = regions.get_region(session, region_code, actor=actor)
    assignment = repository.get_assignment(
        session, actor.scope, user_id=user_id, region_id=region.id
    )
    if assignment is None:
        raise NotFound("该网格没有这名网格员", code="assignment_not_found")
    repository.delete_assignment(session, assignment)
    audit.record(
        session,
        actor=actor,
        action="grid.unassign",
        object_type="region",
        object_id=region.code,
        region_path=region.path,
        summary=f"用户 {user_id} 移出 {region.name}",
    )


def grid_workers(
    session: Session, region: Region, *, actor: Actor
) -> list[tuple[GridAssignment, User]]:
    actor.require(Perm.REGIONS_READ)
    return repository.list_assignments(session, actor.scope, region_id=region.id)


def all_users_for_operator(session: Session) -> list[User]:
    """Every account, for the machine operator's CLI (not reachable over HTTP)."""
    return repository.list_all_users(session)


def user_ids_for_duty(
    session: Session,
    *,
    department_id: int | None = None,
    grid_path: str | None = None,
    roles: list[Role] | None = None,
) -> list[int]:
    """Who is on duty for a case: a department's handlers, a grid's workers, or a role.
    For the platform's own jobs (SLA warnings), which address people by duty."""
    return repository.user_ids_for_duty(
        session,
        department_id=department_id,
        grid_path=grid_path,
        roles=[r.value for r in roles or []],
    )
