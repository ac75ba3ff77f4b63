from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.kit.clock import now


class WorkflowDefinition(Base):
    """One version of a workflow. Running instances keep the version they started with."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by: Mapped[str] = mapped_column(String(64))


class WorkflowInstance(Base):
    __tablename__ = "workflow_instances"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("workflow_definitions.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(40), index=True)
    # Optimistic concurrency: an action names the version it saw; a stale one is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    region_path: Mapped[str] = mapped_column(String(255), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The step limit of the current state (``time_limit_hours``), when it has one, and when the
    # instance turns yellow in it.
    step_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    step_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many of the current state's checkpoints (warning, deadline, escalation rules, in time
    # order) the step scan has handled, and when the next one is due: the scan is one indexed
    # range over ``step_due_at``. Both start again whenever the instance enters a state.
    step_sla_stage: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class WorkflowStep(Base):
    """One entry of an instance's timeline. ``hash`` covers the entry and ``prev_hash``, so
    editing or deleting any entry breaks the chain that `gridgov audit verify` checks."""

    __tablename__ = "workflow_steps"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instances.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class WorkflowBinding(Base):
    """Which workflow a new subject of a type starts: per category (a leaf, or a group by its
    code) and level. An empty ``category_code`` or ``level`` means any; the most specific
    binding wins (see ``services.bound_workflow``)."""

    __tablename__ = "workflow_bindings"
    __table_args__ = (UniqueConstraint("subject_type", "category_code", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    category_code: Mapped[str] = mapped_column(String(20), default="")
    level: Mapped[str] = mapped_column(String(12), default="")
    workflow_code: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by: Mapped[str] = mapped_column(String(64))
