"""A stored routing model this code cannot read (another scikit-learn, another format)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.kit.errors import Conflict
from gridgov.routing import repository as routing_repository
from gridgov.routing import services as routing_services
from gridgov.routing.models import RoutingModel, RoutingStatus


def test_an_unreadable_stored_model_leaves_routing_to_the_rules(db: Session) -> None:
    """A model trained by another scikit-learn (or garbage bytes) must not break intake: the
    active model then counts as none, and asking for that version says why."""
    for row in db.scalars(select(RoutingModel)):
        row.status = RoutingStatus.RETIRED
    version = routing_repository.next_model_version(db)
    routing_repository.add_model(
        db,
        RoutingModel(
            version=version,
            status=RoutingStatus.ACTIVE,
            department_model=b"not a model at all",
            category_model=None,
            params={"digest": f"unreadable-{version}"},
            created_by="test",
        ),
    )
    assert routing_services.active_model(db) is None
    assert routing_services.active_model(db) is None  # remembered, not re-read
    with pytest.raises(Conflict) as refused:
        routing_services.model_version(db, version)
    assert refused.value.code == "model_unreadable"
    assert f"模型版本 {version}" in refused.value.message
