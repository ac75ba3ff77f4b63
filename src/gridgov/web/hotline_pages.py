"""The 12345 work-order import page: an upload form, the columns a file may have, and the result
table. The form sends the file to the same API a program uses (``POST /api/v1/events/import``)
from ``static/js/hotline.js``, with the page session's CSRF token: one write path, one set of
checks, one audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gridgov.events import hotline
from gridgov.http import OptionalActorDep
from gridgov.web.rendering import login_redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/events/import")
def import_page(request: Request, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    return render(
        request,
        "hotline_import.html",
        actor=actor,
        columns=hotline.column_guide(actor=actor),
        max_mb=hotline.MAX_BYTES // (1024 * 1024),
        max_rows=hotline.MAX_ROWS,
    )


@router.get("/events/import/template.csv")
def import_template(request: Request, actor: OptionalActorDep) -> Response:
    if actor is None:
        return login_redirect(request)
    hotline.column_guide(actor=actor)  # the same permission as the import
    return Response(
        hotline.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="12345-workorders-template.csv"'},
    )
