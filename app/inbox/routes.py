"""The inbox list and the claim / release / assign buttons."""

from __future__ import annotations

from operator import itemgetter

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import labels
from ..access import TASK_WORKERS, roles_required, safe_next
from ..formkit import options
from ..services.accounts import users
from ..services.errors import ConcurrentUpdate, NotFound, TaskAlreadyCompleted, TaskClaimedByOther, ValidationFailed
from ..services.workflow import inbox
from ..web import format_instant
from . import bp
from .forms import AssignForm, ClaimForm, InboxFilterForm
from .rows import row_views


@bp.get("/inbox")
@roles_required(*TASK_WORKERS)
def index():
    form = InboxFilterForm(request.args)
    form.validate()
    query = inbox.InboxQuery(scope=form.scope.data or "visible", due=form.due.data or "",
                             priority=form.priority.data or "", channel=form.channel.data or "",
                             kind=form.kind.data if form.kind.data in labels.KIND_LABELS else "",
                             q="" if form.q.errors else form.q.data or "", sort=form.sort.data or "due",
                             page=form.page.data or 1, after=request.args.get("after", ""))
    user = current_user._get_current_object()  # the services read it per row: not through the proxy
    sees_all = inbox.can_see_all(user)
    if not sees_all:
        form.scope.choices = [c for c in form.scope.choices if next(iter(c)) != "all"]
    page = inbox.inbox_page(user, query)
    assignees = assignee_options({row.task.lane for row in page.rows}) if sees_all else {}
    args = {k: v for k, v in request.args.items() if k not in ("page", "after")}
    attention = inbox.needing_attention() if sees_all else []
    return render_template("inbox/index.html", filters=filters_html(form, sees_all), page=page, query=query,
                           rows=row_views(user, page.rows), assignees=assignees, page_args=args,
                           attention=attention)


# The filter form's HTML depends only on the language, whether the user may see all tasks, the filters and
# where the app is mounted (the form's action): rendered through WTForms once, then kept per app (a tenth
# of the page's time otherwise).
_FILTERS_KEPT = 256


def filters_html(form: InboxFilterForm, sees_all: bool) -> Markup:
    """The filter form's HTML, from the app's cache when the same inputs rendered it before.

    A repeated parameter keeps its order in the key (the form shows its first value: `?channel=a&channel=b`
    and `?channel=b&channel=a` are different forms); different parameters are sorted by name only."""
    kept: dict[tuple, Markup] = current_app.extensions.setdefault("inbox_filters_html", {})
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "after")]
    key = (str(get_locale()), sees_all, request.script_root,
           tuple(sorted(args, key=itemgetter(0))))  # a stable sort: one name's values stay in order
    html = kept.get(key)
    if html is None:
        html = Markup(render_template("inbox/_filters.html", form=form))
        if len(kept) >= _FILTERS_KEPT:
            kept.clear()
        kept[key] = html
    return html


def assign_form_for(task) -> AssignForm:
    """The representative's assign form for one task, offering only colleagues who can work its lane."""
    form = AssignForm(prefix=f"t{task.id}")
    form.assignee.choices = options(
        (u.username, u.full_name) for u in users.users_with_any_role(inbox.roles_for_lane(task.lane)))
    return form


def assignee_options(lanes) -> dict[str, Markup]:
    """Per lane, the `<option>`s of the assign box: colleagues who can work that lane.

    One read of the users and one rendering per lane, shared by every row of the page (a form object
    and a user query per row cost more than the rest of the page).
    """
    staff = users.list_active_users()
    found = {}
    for lane in lanes:
        roles = set(inbox.roles_for_lane(lane))
        found[lane] = Markup("").join(
            Markup('<option value="{}">{}</option>').format(u.username, u.full_name)
            for u in staff if u.role_set & roles)
    return found


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("inbox.index"))


def _claim_outcome(action):
    try:
        action()
    except TaskAlreadyCompleted as exc:
        flash(_("Bu görev %(by)s tarafından %(at)s tarihinde tamamlanmış.", by=exc.by or _("sistem"),
                at=format_instant(exc.at)), "error")
    except TaskClaimedByOther as exc:
        flash(_("Bu görevi %(by)s üstlenmiş.", by=exc.by), "error")
    except inbox.NotAllowed:
        flash(_("Bu görev için yetkiniz yok."), "error")
    except ValidationFailed as exc:
        flash(next(iter(exc.errors.values())), "error")  # the service's message, in the reader's language
    except NotFound:
        flash(_("Görev bulunamadı."), "error")
    except ConcurrentUpdate:
        flash(_("Şikâyet aynı anda değişti; lütfen tekrar deneyin."), "error")
    else:
        return True
    return False


@bp.post("/tasks/<int:task_id>/claim")
@roles_required(*TASK_WORKERS)
def claim(task_id: int):
    if ClaimForm().validate_on_submit() and _claim_outcome(lambda: inbox.claim(task_id, current_user)):
        flash(_("Görevi üstlendiniz."), "success")
    return redirect(_back())


@bp.post("/tasks/<int:task_id>/unclaim")
@roles_required(*TASK_WORKERS)
def unclaim(task_id: int):
    if ClaimForm().validate_on_submit() and _claim_outcome(lambda: inbox.unclaim(task_id, current_user)):
        flash(_("Görevi bıraktınız."), "success")
    return redirect(_back())


@bp.post("/tasks/<int:task_id>/assign")
@roles_required("representative")
def assign(task_id: int):
    form = AssignForm(prefix=f"t{task_id}")
    form.assignee.choices = options((u.username, u.full_name) for u in users.list_users())
    if form.validate_on_submit() and _claim_outcome(
            lambda: inbox.assign(task_id, form.assignee.data, current_user)):
        flash(_("Görev atandı."), "success")
    elif form.errors:
        flash(_("Atanacak kişiyi seçin."), "error")
    return redirect(_back())
