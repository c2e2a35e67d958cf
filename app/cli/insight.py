"""`complaintflow review ...` (at-risk recompute, XES event log) and `complaintflow demo seed-history`."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

from app.cli.common import INSTANT


class DayType(click.ParamType):
    """A calendar day, YYYY-MM-DD, in the business time zone."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31", param, ctx)
        if not 2000 <= day.year <= 2100:
            self.fail(f"{value!r} is outside 2000-2100", param, ctx)
        return day


DAY = DayType()


@click.group("review")
def review_group() -> None:
    """Quality insight: complaints at risk, the event log for process mining."""


@review_group.command("at-risk")
@click.option("--now", "at", type=INSTANT, help="as of this instant (default: now)")
@with_appcontext
def review_at_risk(at) -> None:
    """Recompute the at-risk estimate of every open complaint (the scheduler does this regularly)."""
    from app.services.review.insight import risk

    click.echo(str(risk.recompute(now=at)))


@review_group.command("export-xes")
@click.option("--from", "start", type=DAY, required=True, help="first day received (YYYY-MM-DD)")
@click.option("--to", "end", type=DAY, required=True, help="day after the last one (exclusive)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="file (default: stdout)")
@with_appcontext
def review_export_xes(start: date, end: date, output: str | None) -> None:
    """Write the complaints received in [--from, --to) as an IEEE 1849 XES event log, streamed."""
    from app.services.review.figures import Scope
    from app.services.review.insight import eventlog

    if end <= start:
        raise click.BadParameter("--to must be after --from", param_hint="'--to'")
    bounds = Scope(start=start, end=end).bounds()
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            for piece in eventlog.export_xes(*bounds):
                handle.write(piece)
        click.echo(f"wrote {output}", err=True)
    else:
        for piece in eventlog.export_xes(*bounds):
            sys.stdout.write(piece)


@click.group("demo")
def demo_group() -> None:
    """Demo data: a simulated history through the real procedure."""


@demo_group.command("seed-history")
@click.option("--days", type=click.IntRange(1, 3660), default=365, show_default=True)
@click.option("--per-day", type=click.FloatRange(0.1, 500), default=8.0, show_default=True,
              help="complaints per business day on average")
@click.option("--seed", type=int, default=1, show_default=True, help="random seed (same seed, same history)")
@click.option("--now", "at", type=INSTANT, help="end of the simulated period (default: now)")
@with_appcontext
def demo_seed_history(days: int, per_day: float, seed: int, at) -> None:
    """Register and work complaints over the last DAYS days on a simulated clock (slow for a year: minutes)."""
    from app.services.errors import NoLiveVersion
    from app.services.review.insight import seed as seeding

    try:
        report = seeding.seed_history(days, per_day, end=at, seed=seed)
    except NoLiveVersion:
        click.secho("no live process version: run `complaintflow processes deploy processes/complaint.bpmn` first",
                    fg="red", err=True)
        sys.exit(1)
    click.echo(str(report))
