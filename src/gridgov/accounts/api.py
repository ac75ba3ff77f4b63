from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from gridgov.accounts import services
from gridgov.accounts.models import User
from gridgov.accounts.permissions import ROLE_LABELS, Role
from gridgov.accounts.schemas import LoginRequest, MeOut, TokenOut, UserCreate, UserOut, UserUpdate
from gridgov.accounts.security import issue_token
from gridgov.http import ActorDep, SessionDep, SettingsDep, client_ip
from gridgov.kit.errors import AppError
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def error_response(error: AppError) -> JSONResponse:
    headers = {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    return JSONResponse(error.to_dict(), status_code=error.status_code, headers=headers)


def user_out(session: Session, user: User) -> UserOut:
    role = Role(user.role)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role,
        role_label=ROLE_LABELS[role],
        organisation_id=user.organisation_id,
        scope=services.describe_scope(user, services.scope_of(session, user)),
        is_active=user.is_active,
        last_login_at=user.last_login_at,
    )


@router.post(
    "/auth/login",
    response_model=TokenOut,
    summary="登录，换取访问令牌",
    responses={401: {"description": "用户名或密码错误"}, 429: {"description": "失败次数过多"}},
)
def login(
    data: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenOut | JSONResponse:
    outcome = services.login(
        session, data.username, data.password, client_ip=client_ip(request), settings=settings
    )
    if outcome.error is not None or outcome.user is None:
        # Returned, not raised: the failure just recorded must be committed for throttling.
        return error_response(outcome.error or AppError("登录失败"))
    token = issue_token(
        outcome.user.id, settings.effective_secret_key(), settings.access_token_minutes
    )
    return TokenOut(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.get("/auth/me", response_model=MeOut, summary="当前账号、权限与管辖范围")
def me(session: SessionDep, actor: ActorDep) -> MeOut:
    assert actor.id is not None
    user = services.user_for_token(session, actor.id)
    return MeOut(
        **user_out(session, user).model_dump(),
        permissions=sorted(p.value for p in actor.permissions),
    )


@router.get("/users", response_model=Page[UserOut], summary="账号列表")
def list_users(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[UserOut]:
    rows, total = services.list_users(session, actor=actor, role=role, query=q, page=page)
    return Page.of([user_out(session, u) for u in rows], total, page)


@router.get("/users/{user_id}", response_model=UserOut, summary="账号详情")
def get_user(user_id: int, session: SessionDep, actor: ActorDep) -> UserOut:
    return user_out(session, services.get_user(session, user_id, actor=actor))


@router.post("/users", response_model=UserOut, status_code=201, summary="新建账号")
def create_user(data: UserCreate, session: SessionDep, actor: ActorDep) -> UserOut:
    return user_out(session, services.create_user(session, data, actor=actor))


@router.patch("/users/{user_id}", response_model=UserOut, summary="修改账号")
def update_user(user_id: int, data: UserUpdate, session: SessionDep, actor: ActorDep) -> UserOut:
    return user_out(session, services.update_user(session, user_id, data, actor=actor))
