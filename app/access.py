"""Role checks in one place: every staff view is wrapped by `roles_required`.

The decorator records the roles on the view (`view.required_roles`) so a test can walk every route.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, url_for
from flask_login import current_user

from .extensions import login_manager

ALL_STAFF = ("intake", "handler", "representative", "analyst", "quality_manager", "admin", "auditor")
TASK_WORKERS = ("intake", "handler", "representative")
INTAKE_ROLES = ("intake", "representative")
CASE_READERS = ("intake", "handler", "representative", "quality_manager", "admin")
CASE_WRITERS = ("intake", "handler", "representative")
# Who may correct the kind of a registration (complaint, request, opinion, thanks) on the complaint page.
KIND_CORRECTORS = ("handler", "representative")
# Who opens, links and resolves incidents (outages): the handler and the complaints representative.
INCIDENT_ROLES = ("handler", "representative")


def roles_required(*roles: str):
    """Anonymous → the sign-in page; signed in without one of `roles` → 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.role_set & set(roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and bool(current_user.role_set & set(roles))


def get_complaint_or_404(number: str):
    """The complaint with this registration number, or a 404 page (access is checked by the view's roles)."""
    from .services.complaints import lookup

    complaint = lookup.complaint_by_number(number)
    if complaint is None:
        abort(404)
    return complaint


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative //host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# Where each role works, first match wins for someone with several roles.
LANDING = (("handler", "inbox.index"), ("representative", "inbox.index"), ("intake", "intake.new"),
           ("quality_manager", "review.index"), ("analyst", "modeler.index"), ("auditor", "review.index"))


def home_for(user) -> str:
    """The page a role works on: handlers and the representative their inbox, intake the new-complaint
    form, quality managers and auditors the review, analysts the modeler; anyone else the search."""
    roles = user.role_set
    return url_for(next((endpoint for role, endpoint in LANDING if role in roles), "inbox.complaints"))
