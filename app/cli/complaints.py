"""`complaintflow complaints register|show`: a complaint from a shell, e.g. one taken on the phone."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.cli.common import INSTANT, echo_open_tasks, fail, iso
from app.extensions import db
from app.labels import SEGMENT_LABELS, SERVICE_IMPACT_LABELS


@click.group("complaints")
def complaints_group() -> None:
    """Register and look up complaints."""


@complaints_group.command("register")
@click.option("--channel", required=True, help="telefon, faks, eposta, posta_kargo, yuz_yuze, anket, web")
@click.option("--name", "customer_name", required=True)
@click.option("--phone", "customer_phone")
@click.option("--email", "customer_email")
@click.option("--preferred", "preferred_contact", type=click.Choice(["eposta", "telefon"]))
@click.option("--subscription", "subscription_number")
@click.option("--subject")
@click.option("--description", required=True)
@click.option("--service-impact", "service_impact", type=click.Choice(list(SERVICE_IMPACT_LABELS)),
              help="What the problem does to the service (priority suggestion input; default other)")
@click.option("--segment", "customer_segment", type=click.Choice(list(SEGMENT_LABELS)),
              help="Customer segment (priority suggestion input; default individual)")
@click.option("--now", "at", type=INSTANT)
@click.option("--actor", default="cli")
@with_appcontext
def complaints_register(at, actor, **fields) -> None:
    """Register a complaint received on CHANNEL; prints its registration number."""
    from app.services.complaints import registration as complaints
    from app.services.errors import ServiceError, ValidationFailed

    try:
        complaint = complaints.register_complaint(fields, actor=actor, at=at)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field}: {message}", fg="red", err=True)
        fail("not registered")
    except ServiceError as exc:
        fail(str(exc))
    click.echo(complaint.registration_number)  # alone on stdout, so a shell can keep it: N=$(complaintflow ...)
    echo_open_tasks(complaint, err=True)


@complaints_group.command("show")
@click.argument("number")
@with_appcontext
def complaints_show(number: str) -> None:
    """Show a complaint, its open tasks and history."""
    from app.models import AuditEvent
    from app.services.complaints import registration as complaints
    from app.services.errors import NotFound

    try:
        c = complaints.get_by_number(number)
    except NotFound as exc:
        fail(str(exc))
    click.echo(f"{c.registration_number}  {c.status}  stage {c.stage}  priority {c.priority or '-'}  "
               f"channel {c.channel}  reopened {c.reopen_count}x")
    click.echo(f"received {c.received_at.isoformat()}  ack due {iso(c.acknowledgement_due_at)}  "
               f"solution due {iso(c.solution_due_at)}")
    echo_open_tasks(c)
    for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == c.id)
                                .order_by(AuditEvent.seq)):
        click.echo(f"  {e.seq:>3} {e.at.isoformat()} {e.actor:<14} {e.action} {e.data_json[:100]}")


