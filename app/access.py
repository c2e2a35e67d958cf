"""Role checks in one place: every staff view is wrapped by `roles_required`.

The decorator records the roles on the view (`view.required_roles`) so a test can walk every route.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from .extensions import login_manager

ALL_STAFF = ("intake", "handler", "representative", "analyst", "quality_manager", "admin", "auditor")
TASK_WORKERS = ("intake", "handler", "representative")
INTAKE_ROLES = ("intake", "representative")
CASE_READERS = ("intake", "handler", "representative", "quality_manager", "admin")
CASE_WRITERS = ("intake", "handler", "representative")
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
    from .services import lookup

    complaint = lookup.complaint_by_number(number)
    if complaint is None:
        abort(404)
    return complaint
