"""Domain errors raised by use cases; the web layer turns them into pages or problem documents."""

from __future__ import annotations

from datetime import datetime


class ServiceError(Exception):
    """Base class: a use case refused to change anything."""


class NotFound(ServiceError):
    pass


class ValidationFailed(ServiceError):
    """Input was rejected; `errors` maps a field name (or "" for the whole form) to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))


class TaskAlreadyCompleted(ServiceError):
    def __init__(self, by: str | None, at: datetime | None, state: str = "completed"):
        self.by, self.at, self.state = by, at, state
        super().__init__(f"task already {state} by {by or 'the system'} at {at.isoformat() if at else '?'}")


class ComplaintNotActive(TaskAlreadyCompleted):
    """The complaint is suspended or cancelled: its tasks wait (or are gone) until a manager acts."""

    def __init__(self, status: str, since: datetime | None):
        super().__init__(None, since, status)
        self.args = (f"the complaint is {status}; its tasks cannot be completed",)


class TaskClaimedByOther(ServiceError):
    def __init__(self, by: str, at: datetime | None):
        self.by, self.at = by, at
        super().__init__(f"task is claimed by {by}")


class StaleData(ServiceError):
    """The complaint changed after the form was opened (expected version differs)."""

    def __init__(self, expected: int, current: int):
        self.expected, self.current = expected, current
        super().__init__(f"the complaint changed since the form was opened (version {expected} → {current})")


class ConcurrentUpdate(ServiceError):
    """Another request changed the same complaint at the same moment; retrying is safe."""


class Unavailable(ServiceError):
    """The database went away mid-change (connection dropped); nothing was written, retrying is safe."""


class NoLiveVersion(ServiceError):
    def __init__(self):
        super().__init__("no process version is deployed; run `complaintflow processes deploy`")


class ProcedureFailed(ServiceError):
    """Diagram code failed or was stopped; the step was not saved (the complaint is flagged instead).

    `kind`: timeout, too_large, refused, loop or error; `element`/`name`: the diagram element.
    """

    def __init__(self, kind: str, element: str | None, name: str | None, detail: str):
        self.kind, self.element, self.name, self.detail = kind, element, name, detail
        super().__init__(f"{name or element or 'the procedure'}: {detail}")


class MailNotConfigured(ServiceError):
    """SMTP_HOST is set nowhere: customer mail stays in the outbox instead of trying a guessed server."""
