"""The procedure as it actually ran (variants, time between stages) and the XES event log download."""

from __future__ import annotations

from flask import Response, render_template, stream_with_context

from ..access import roles_required
from ..services.review.insight import eventlog, stages
from . import REVIEW_READERS, bp
from .dashboard import scope_from_request


@bp.get("/procedure")
@roles_required(*REVIEW_READERS)
def procedure():
    scope = scope_from_request()
    start, end = scope.bounds()
    found = eventlog.variants(start, end)
    return render_template("review/procedure.html", scope=scope, variants=found,
                           total=sum(v.count for v in found), gaps=stages.stage_gaps(start, end))


@bp.get("/export.xes")
@roles_required(*REVIEW_READERS)
def export_xes():
    """Streamed: the generator runs after the view returns, with the app context kept for it."""
    scope = scope_from_request()
    start, end = scope.bounds()
    response = Response(stream_with_context(eventlog.export_xes(start, end)), mimetype="application/xml")
    name = f"sikayetler-{scope.start.isoformat()}-{scope.end.isoformat()}.xes"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
