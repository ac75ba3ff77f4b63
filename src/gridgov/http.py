"""What every ``api.py`` shares: the request's session, its actor, and its settings."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.security import read_token
from gridgov.config import Settings
from gridgov.db import end_unit_of_work, group_commit, session_factory
from gridgov.kit.crypto import FieldCipher
from gridgov.kit.errors import NotAuthenticated, PermissionDenied

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


# Dependencies that touch no database are ``async def``: FastAPI runs a plain ``def``
# dependency in a worker thread, and each such hand-off costs a request more than the work.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error
    (as ``db.unit_of_work``). Opening a session reads nothing, so only the end, which talks to
    the database, goes to a worker thread."""
    session = session_factory(request.app.state.engine)()
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):  # a client gone away still gets its rollback
            await run_in_threadpool(end_unit_of_work, session, failed=True)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(end_unit_of_work, session, failed=False)


async def get_cipher(request: Request) -> FieldCipher:
    """The field cipher for personal data, made once per app from its settings' data key."""
    cipher: FieldCipher | None = getattr(request.app.state, "cipher", None)
    if cipher is None:
        cipher = FieldCipher(request.app.state.settings.effective_data_key())
        request.app.state.cipher = cipher
    return cipher


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
CipherDep = Annotated[FieldCipher, Depends(get_cipher)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def csrf_token(request: Request) -> str:
    """The page session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(str(expected), submitted):
        raise PermissionDenied("页面已过期或请求来源不可信，请刷新后重试", code="csrf_failed")


def _actor_from_request(request: Request, session: Session, settings: Settings) -> Actor | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user_id = read_token(header[7:].strip(), settings.effective_secret_key())
        if user_id is None:
            raise NotAuthenticated("访问令牌无效或已过期", code="invalid_token")
        return accounts.signed_in_actor(session, user_id, client_ip=client_ip(request))
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    # A cookie rides along on any request the browser makes, so writes must prove they come
    # from our own pages.
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    try:
        return accounts.signed_in_actor(session, int(user_id), client_ip=client_ip(request))
    except NotAuthenticated:
        request.session.clear()
        raise


def actor_of(request: Request, session: Session) -> Actor:
    """Who makes the request: 401 when nobody is signed in."""
    actor = _actor_from_request(request, session, request.app.state.settings)
    if actor is None:
        raise NotAuthenticated("请先登录", code="not_authenticated")
    return actor


def current_actor(request: Request, session: SessionDep) -> Actor:
    return actor_of(request, session)


async def in_shared_transaction(request: Request, work: Callable[[Session, Actor], T]) -> T:
    """``work(session, actor)`` (the actor's lookup, the work and its answer) in one worker-thread
    call, in a transaction it shares with the same calls made at the same moment
    (:class:`gridgov.db.GroupCommit`: one commit for the batch; when one work fails the batch
    runs again with each work in its own savepoint, so ``work`` may run twice and must act only
    through the session). For a hot write endpoint (``async def``, no SessionDep or ActorDep):
    the usual dependencies and a plain ``def`` endpoint hand a request between the event loop
    and worker threads four times (actor, endpoint, response check, commit)."""

    def run(session: Session) -> T:
        return work(session, actor_of(request, session))

    return await run_in_threadpool(group_commit(request.app.state.engine).run, run)


def optional_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Actor | None:
    try:
        return _actor_from_request(request, session, settings)
    except NotAuthenticated:
        return None


ActorDep = Annotated[Actor, Depends(current_actor)]
OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]
