"""Staff work: the inbox, task pages, complaint look-up, notes and attachments."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)


@bp.context_processor
def _task_permissions():
    """Templates show a task link or button only to someone it will not answer with 403."""
    from flask_login import current_user

    from ..access import TASK_WORKERS, has_role
    from ..services.workflow import inbox

    def can_open(task) -> bool:
        return has_role(*TASK_WORKERS) and inbox.can_open(current_user, task)

    def can_work(task) -> bool:
        return has_role(*TASK_WORKERS) and inbox.can_work(current_user, task)

    return {"can_open_task": can_open, "can_work_task": can_work}

from . import casefile, incidents, routes, tasks  # noqa: E402,F401
