"""Video calls: who may call whom, and the record of every call.

The signalling itself (WebSocket, pub/sub) is `calls/signalling.py`; it asks these functions
before it rings anyone or relays anything, so every rule lives here and every state change is
one conditional UPDATE plus its audit row in the caller's transaction.

Who may reach whom:

* centre operators, street and community staff (and admins) → a grid worker assigned to a
  grid inside their scope;
* a grid worker → "the center": every online account with ``calls.make`` that is not a worker
  and whose scope covers the worker's grid; or one such account by id (a call back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import ROLE_LABELS, Perm, Role
from gridgov.audit import services as audit
from gridgov.calls import repository
from gridgov.calls.models import (
    END_REASON_LABELS,
    FINAL_STATUSES,
    KIND_LABELS,
    STATUS_LABELS,
    Call,
    CallKind,
    CallStatus,
    EndReason,
)
from gridgov.calls.repository import CallFilter
from gridgov.calls.schemas import CALL_KEY_PATTERN, CallOut, ContactOut
from gridgov.kit.clock import now
from gridgov.kit.errors import AppError, Conflict, InvalidInput, NotAuthenticated, NotFound
from gridgov.kit.pagination import PageParams

CENTER = "center"
LIST_COUNT_CAP = repository.LIST_COUNT_CAP
# A field call longer than this was left open by a server that went away (the sweep ends it).
CALL_MAX_HOURS = 4.0
_KEY = re.compile(CALL_KEY_PATTERN)


@dataclass
class CallChange:
    """What a state change means for the others: the call as it is now, and who to tell."""

    call: Call
    notify: list[int] = field(default_factory=list)
    changed: bool = True


def _name(actor: Actor) -> str:
    return actor.display_name or actor.username


def _user_name(user: User) -> str:
    return user.display_name or user.username


def is_worker(actor: Actor) -> bool:
    return actor.role == Role.GRID_WORKER


def _account(session: Session, user_id: int) -> tuple[User, Actor] | None:
    try:
        user = accounts.user_for_token(session, user_id)
    except NotAuthenticated:  # inactive or gone
        return None
    return user, accounts.actor_for(session, user)


def _covering_staff(session: Session, user_ids: set[int], path: str) -> list[tuple[User, Actor]]:
    """Of ``user_ids``, the accounts that may take a worker's call from ``path``."""
    found = []
    for user_id in sorted(user_ids):
        account = _account(session, user_id)
        if account is None:
            continue
        _user, other = account
        if (
            not is_worker(other)
            and other.can(Perm.CALLS_MAKE)
            and other.scope.region_paths != ()
            and other.scope.covers_path(path)
        ):
            found.append(account)
    return found


def _worker_paths(session: Session, user: User) -> tuple[str, ...]:
    return accounts.scope_of(session, user).region_paths or ()


def _worker_home(actor: Actor) -> str:
    paths = actor.scope.region_paths or ()
    if not paths:
        raise InvalidInput("您的账号尚未分配网格，无法发起呼叫", code="no_grid")
    return paths[0]


def start_call(
    session: Session, call_key: str, to: int | str, *, actor: Actor, online: set[int]
) -> CallChange:
    """Record a new call and say whom to ring (``notify``). Nobody to ring (the callee or every
    staff member is offline) records it as missed at once, ``changed`` False."""
    actor.require(Perm.CALLS_MAKE)
    if actor.id is None:
        raise InvalidInput("系统账号不能发起通话", code="not_a_person")
    if not _KEY.match(call_key):
        raise InvalidInput("通话标识不合法", code="bad_call_id")
    if repository.get_call(session, actor.scope, call_key) is not None:
        raise Conflict("该通话标识已被使用", code="call_exists")
    ring: list[int]
    if is_worker(actor):
        path = _worker_home(actor)
        staff = [u for u, _a in _covering_staff(session, online - {actor.id}, path)]
        if to == CENTER:
            kind, callee_id, callee_name = CallKind.TO_CENTER, None, "指挥中心"
            ring = [u.id for u in staff]
        else:
            chosen = [u for u in staff if u.id == to]
            if not chosen:
                raise NotFound("对方不在线或不负责您的网格", code="callee_not_found")
            kind, callee_id, callee_name = CallKind.TO_CENTER, chosen[0].id, _user_name(chosen[0])
            ring = [chosen[0].id]
    else:
        if to == CENTER or not isinstance(to, int):
            raise InvalidInput("只有网格员可以呼叫指挥中心", code="center_for_workers")
        try:
            callee = accounts.get_user(session, to, actor=actor)
        except NotFound:
            raise NotFound("该网格员不存在或不在您的管辖范围内", code="callee_not_found") from None
        if callee.role != Role.GRID_WORKER or not callee.is_active:
            raise InvalidInput("只能呼叫网格员", code="callee_not_worker")
        paths = [p for p in _worker_paths(session, callee) if actor.scope.covers_path(p)]
        if not paths:
            raise NotFound("该网格员不存在或不在您的管辖范围内", code="callee_not_found")
        path = paths[0]
        kind, callee_id, callee_name = CallKind.TO_WORKER, callee.id, _user_name(callee)
        ring = [callee.id] if callee.id in online else []
    moment = now()
    call = repository.add_call(
        session,
        call_key=call_key,
        kind=kind.value,
        caller_id=actor.id,
        caller_name=_name(actor),
        callee_id=callee_id,
        callee_name=callee_name,
        rung_ids=ring,
        region_path=path,
        status=CallStatus.RINGING.value,
        started_at=moment,
        details={},
    )
    audit.record(
        session,
        actor=actor,
        action="call.start",
        object_type="call",
        object_id=call_key,
        region_path=path,
        summary=f"{call.caller_name} 呼叫 {callee_name}（{KIND_LABELS[kind]}）",
        details={"callee_id": callee_id, "rung": len(ring)},
    )
    if not ring:
        _finish(session, call, CallStatus.MISSED, EndReason.OFFLINE, actor=actor, at=moment)
        return CallChange(call, [], changed=False)
    return CallChange(call, ring)


def _load(session: Session, call_key: str, actor: Actor) -> Call:
    call = repository.get_call(session, actor.scope, call_key)
    if call is None or actor.id not in _parties(call):
        raise NotFound("通话不存在或已结束", code="call_not_found")
    return call


def _parties(call: Call) -> set[int]:
    """Everyone with a say in the call: caller, callee, and whoever was rung."""
    return {call.caller_id, *([call.callee_id] if call.callee_id else []), *call.rung_ids}


def _finish(
    session: Session,
    call: Call,
    status: CallStatus,
    reason: EndReason,
    *,
    actor: Actor,
    at: datetime,
    from_statuses: tuple[CallStatus, ...] = (CallStatus.RINGING, CallStatus.ANSWERED),
) -> bool:
    if not repository.update_finished(
        session,
        call.id,
        from_statuses=from_statuses,
        status=status,
        reason=reason.value,
        by=actor.id,
        at=at,
    ):
        return False
    session.refresh(call)
    audit.record(
        session,
        actor=actor,
        action="call.end",
        object_type="call",
        object_id=call.call_key,
        region_path=call.region_path,
        summary=f"{call.caller_name} → {call.callee_name}：{STATUS_LABELS[status]}"
        f"（{END_REASON_LABELS[reason]}）",
        details={"status": status.value, "reason": reason.value, **_duration(call)},
    )
    return True


def _duration(call: Call) -> dict[str, int]:
    seconds = duration_s(call)
    return {} if seconds is None else {"duration_s": seconds}


def duration_s(call: Call) -> int | None:
    if call.answered_at is None or call.ended_at is None:
        return None
    return max(0, int((call.ended_at - call.answered_at).total_seconds()))


def answer_call(session: Session, call_key: str, *, actor: Actor) -> CallChange:
    """The callee (or, for a call to the center, the first rung staff member) takes the call.
    ``notify``: the caller, then the other rung staff (told the call was taken)."""
    actor.require(Perm.CALLS_MAKE)
    call = _load(session, call_key, actor)
    if actor.id == call.caller_id:
        raise InvalidInput("不能接听自己发起的通话", code="own_call")
    assert actor.id is not None
    if not repository.update_answered(
        session, call.id, callee_id=actor.id, callee_name=_name(actor), at=now()
    ):
        session.refresh(call)
        if call.status == CallStatus.ANSWERED.value:
            raise Conflict("该通话已由他人接听", code="call_taken")
        raise Conflict("通话已结束", code="call_over")
    session.refresh(call)
    audit.record(
        session,
        actor=actor,
        action="call.answer",
        object_type="call",
        object_id=call.call_key,
        region_path=call.region_path,
        summary=f"{call.callee_name} 接听 {call.caller_name} 的呼叫",
    )
    others = [u for u in call.rung_ids if u not in (actor.id, call.caller_id)]
    return CallChange(call, [call.caller_id, *others])


def end_call(
    session: Session, call_key: str, *, actor: Actor, reason: EndReason = EndReason.HANGUP
) -> CallChange:
    """A party ends the call: the caller cancels a ringing call (missed), the callee rejects it,
    either hangs up an answered one. For a call to the center still ringing, one staff member
    saying no only stops their own ringing (``changed`` False): the others may still answer.
    ``notify``: whoever else is still in the call."""
    call = _load(session, call_key, actor)
    moment = now()
    status = CallStatus(call.status)
    if status in FINAL_STATUSES:
        return CallChange(call, [], changed=False)
    if status == CallStatus.ANSWERED and (
        reason == EndReason.NO_ANSWER or actor.id not in (call.caller_id, call.callee_id)
    ):
        # The ring timer lost the race with the answer, or someone rung but not taking part:
        # the call goes on.
        return CallChange(call, [], changed=False)
    if status == CallStatus.RINGING:
        if actor.id == call.caller_id:
            final = CallStatus.MISSED
            why = EndReason.NO_ANSWER if reason == EndReason.NO_ANSWER else EndReason.CANCELLED
            if reason == EndReason.DISCONNECTED:
                why = EndReason.DISCONNECTED
        elif call.callee_id is None and len(call.rung_ids) > 1:
            return CallChange(call, [], changed=False)
        else:
            final, why = CallStatus.REJECTED, EndReason.REJECTED
            if reason == EndReason.DISCONNECTED:
                final, why = CallStatus.MISSED, EndReason.DISCONNECTED
        notify = sorted(_parties(call) - {actor.id})
        changed = _finish(
            session, call, final, why, actor=actor, at=moment, from_statuses=(CallStatus.RINGING,)
        )
    else:
        why = EndReason.DISCONNECTED if reason == EndReason.DISCONNECTED else EndReason.HANGUP
        notify = [p for p in (call.caller_id, call.callee_id) if p and p != actor.id]
        changed = _finish(
            session,
            call,
            CallStatus.ENDED,
            why,
            actor=actor,
            at=moment,
            from_statuses=(CallStatus.ANSWERED,),
        )
    if not changed:  # someone else moved it first
        session.refresh(call)
        return CallChange(call, [], changed=False)
    return CallChange(call, notify)


def list_calls(
    session: Session,
    *,
    actor: Actor,
    status: CallStatus | None = None,
    user_id: int | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    page: PageParams,
) -> tuple[list[Call], int]:
    """Calls in the reader's scope. Those who do not follow workers (the workers themselves)
    see only their own calls."""
    actor.require(Perm.CALLS_MAKE)
    party = user_id
    if not actor.can(Perm.WORKERS_READ):
        party = actor.id
        if user_id is not None and user_id != actor.id:
            return [], 0
    filters = CallFilter(
        status=status.value if status else None,
        party_id=party,
        started_from=started_from,
        started_to=started_to,
    )
    return repository.list_calls(session, actor.scope, filters, page)


def call_out(call: Call) -> CallOut:
    reason = EndReason(call.end_reason) if call.end_reason else None
    return CallOut(
        id=call.id,
        call_id=call.call_key,
        kind=CallKind(call.kind),
        kind_label=KIND_LABELS[CallKind(call.kind)],
        caller_id=call.caller_id,
        caller_name=call.caller_name,
        callee_id=call.callee_id,
        callee_name=call.callee_name,
        grid_code=call.region_path.rstrip("/").split("/")[-1],
        status=CallStatus(call.status),
        status_label=STATUS_LABELS[CallStatus(call.status)],
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        end_reason=call.end_reason,
        end_reason_label=END_REASON_LABELS[reason] if reason else None,
        duration_s=duration_s(call),
    )


def _codes(paths: tuple[str, ...] | None) -> list[str]:
    return [p.rstrip("/").split("/")[-1] for p in paths or ()]


def contacts(
    session: Session,
    *,
    actor: Actor,
    online: set[int],
    query: str | None,
    online_only: bool,
    page: PageParams,
) -> tuple[list[ContactOut], int]:
    """Whom the actor may call. Staff: the grid workers in their scope (with who is online);
    a worker: the online staff over their grid."""
    actor.require(Perm.CALLS_MAKE)
    if is_worker(actor):
        path = _worker_home(actor)
        staff = _covering_staff(session, online - {actor.id or 0}, path)
        if query:
            staff = [(u, a) for u, a in staff if query in u.username or query in u.display_name]
        rows = [_contact(u, a.scope.region_paths, True) for u, a in staff]
        return rows[page.offset : page.offset + page.page_size], len(rows)
    if online_only:
        found = []
        for user_id in sorted(online - {actor.id or 0}):
            try:
                user = accounts.get_user(session, user_id, actor=actor)
            except AppError:
                continue
            if user.role != Role.GRID_WORKER or (
                query and query not in user.username and query not in user.display_name
            ):
                continue
            found.append(_contact(user, _worker_paths(session, user), True))
        return found[page.offset : page.offset + page.page_size], len(found)
    users, total = accounts.list_users(
        session, actor=actor, role=Role.GRID_WORKER, query=query, page=page
    )
    return [_contact(u, _worker_paths(session, u), u.id in online) for u in users], total


def _contact(user: User, paths: tuple[str, ...] | None, is_online: bool) -> ContactOut:
    role = Role(user.role)
    return ContactOut(
        user_id=user.id,
        name=_user_name(user),
        username=user.username,
        role=role.value,
        role_label=ROLE_LABELS[role],
        grid_codes=_codes(paths) if role == Role.GRID_WORKER else [],
        online=is_online,
    )


def sweep(session: Session, *, actor: Actor, ring_seconds: int, max_hours: float) -> int:
    """Close calls a server left live when it went away (the signalling process that held them
    ends them itself on hang-up, time-out or disconnect): ringing well past the ring time →
    missed, answered for more than ``max_hours`` → ended. Returns how many."""
    moment = now()
    stale = repository.stale_calls(
        session,
        ringing_before=moment - timedelta(seconds=ring_seconds * 2),
        answered_before=moment - timedelta(hours=max_hours),
    )
    closed = 0
    for call in stale:
        final = CallStatus.MISSED if call.status == CallStatus.RINGING.value else CallStatus.ENDED
        closed += _finish(session, call, final, EndReason.LOST, actor=actor, at=moment)
    return closed
