"""The ISO 10002 dashboard (period and filters) and the printable management review report."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from .. import clock, labels, numbers
from ..access import roles_required
from ..services.review import figures, instance_view
from ..services.review.figures import Scope
from ..services.review.insight import risk
from . import REVIEW_READERS, bp


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def scope_from_request() -> Scope:
    """?from=&to= (to exclusive), default: the current month in the business time zone; ?kind= (default
    complaint, 'all' for every kind)."""
    today = clock.now().astimezone(current_app.extensions["complaintflow"].calendar.tz).date()
    start = _day(request.args.get("from")) or today.replace(day=1)
    end = _day(request.args.get("to")) or (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if end <= start:
        end = start + timedelta(days=1)
    priority = request.args.get("priority", "")
    channel = request.args.get("channel", "")
    kind = request.args.get("kind", "complaint")
    return Scope(start=start, end=end, priority=priority if priority in figures.PRIORITIES else "",
                 channel=channel if channel.isidentifier() else "",
                 kind="" if kind == "all" else kind if kind in labels.KIND_LABELS else "complaint")


def chart_data(f: figures.Figures) -> dict:
    """What the page's script draws: Pareto, weekly trend, on-time % per priority, the heatmap.

    Every label and number a person reads is made here, in the active language; the script only draws.
    """
    pareto = [{**rc, "label": labels.choice_label("root_cause_category", rc["category"])} for rc in f.root_causes]
    heatmap = {spec: {**cell, "name": labels.task_name(cell["name"], spec), "text": heat_text(cell)}
               for spec, cell in f.heatmap.items()}
    return {
        "pareto": pareto,
        "weeks": f.by_week,
        "on_time": {p: r.percent for p, r in f.on_time_by_priority.items()},
        "solution_in_time": {p: r.percent for p, r in f.solution_in_time_by_priority.items()},
        "heatmap": heatmap,
    }


def heat_text(cell: dict) -> str:
    """"2 done · 3.2 business h · 1 waiting · 1 late" as the active language writes it."""
    parts = [ngettext("%(num)d tamamlandı", "%(num)d tamamlandı", cell["count"])]
    if cell["median_hours"] is not None:
        parts.append(_("%(hours)s iş saati", hours=numbers.decimal(cell["median_hours"])))
    if cell["active"]:
        parts.append(ngettext("%(num)d bekliyor", "%(num)d bekliyor", cell["active"]))
    if cell.get("late"):
        parts.append(ngettext("%(num)d gecikti", "%(num)d gecikti", cell["late"]))
    return " · ".join(parts)


@bp.get("/dashboard")
@roles_required(*REVIEW_READERS)
def dashboard():
    scope = scope_from_request()
    f = figures.compute(scope)
    start, end = scope.bounds()
    return render_template("review/dashboard.html", f=f, scope=scope, charts=chart_data(f),
                           live_version=instance_view.live_version_number(),
                           at_risk=risk.at_risk_by_priority(), risk_computed_at=risk.last_recomputed_at(),
                           flags=risk.flag_quality(start, end, scope.priority))


@bp.get("/report")
@roles_required(*REVIEW_READERS)
def report():
    scope = scope_from_request()
    f = figures.compute(scope)
    context = {"f": f, "scope": scope, "charts": chart_data(f), "breached": figures.breached_complaints(scope),
               "comments": figures.survey_comments(scope), "generated_at": f.now}
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        with force_locale(lang):
            return render_template("review/report.html", lang=lang, **context)
    return render_template("review/report.html", lang=None, **context)
