"""`repository.sees` decides in Python what the scoped case query decides in SQL (an intake's
answer lists the merge candidates it has just loaded without reading them again): the two
must agree for every scope it decides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.accounts.models import User
from gridgov.accounts.scope import Scope
from gridgov.events import repository
from gridgov.events.models import Event


def test_sees_agrees_with_the_scoped_query(db: Session) -> None:
    cases = list(db.scalars(select(Event).order_by(Event.id.desc()).limit(300)))
    assert cases, "the demo district has cases"
    reporter = db.scalars(select(User.id).order_by(User.id).limit(1)).one()
    for case in cases[::7]:  # some cases of one reporter (the fixture rolls this back)
        case.reporter_id = reporter
    db.flush()
    street = cases[0].region_path.split("/")[1]
    scopes = [
        Scope.everything(),
        Scope.nothing(),
        Scope(region_paths=(cases[0].region_path.split("/")[0] + "/" + street + "/",)),
        Scope(region_paths=(cases[0].region_path, cases[-1].region_path)),
        Scope(owner_id=reporter),
        Scope(region_paths=(cases[0].region_path.split("/")[0] + "/",), owner_id=reporter),
    ]
    ids = [c.id for c in cases]
    for scope in scopes:
        in_sql = {e.id for e in repository.events_by_ids(db, scope, ids)}
        assert {c.id for c in cases if repository.sees(scope, c)} == in_sql, scope
    assert repository.sees(Scope(department_ids=(1,)), cases[0]) is None
