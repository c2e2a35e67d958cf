"""The deploy gate's scenario process: `python -m app.engine.gate_worker MEMORY_MB`.

It reads one JSON request a line on stdin (a candidate diagram, its forms, the calendar and the
limits), runs the conformance scenarios, and writes one JSON answer a line on stdout. Its address
space is capped at start, so a diagram that builds a huge value fails here, not in a web worker.
"""

from __future__ import annotations

import json
import resource
import sys


def _cap_memory(memory_mb: int) -> None:
    """Allow `memory_mb` on top of what the interpreter and its imports already map."""
    with open("/proc/self/statm", "rb") as handle:
        mapped = int(handle.read().split()[0]) * resource.getpagesize()
    limit = mapped + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def answer(request: dict) -> dict:
    from datetime import datetime

    from ..calendar import BusinessCalendar
    from .conformance import check_conformance
    from .decisions import check_decisions
    from .runner import Engine
    from .sandbox import Limits
    from .specs import parse_bpmn

    calendar = BusinessCalendar(**request["calendar"])
    calendar.set_extra_days_off([_day(d) for d in request.get("days_off", [])])
    engine = Engine(calendar, Limits(**request["script_limits"]))
    decisions = request.get("decisions") or {}
    bundle = parse_bpmn(request["bpmn"], decisions)
    problems = check_decisions(engine.script_engine, decisions)
    if problems:
        return {"problems": problems}
    instants = [(label, datetime.fromisoformat(at)) for label, at in request.get("instants", [])]
    problems = check_conformance(engine, bundle, request["forms"], channels=tuple(request["channels"]),
                                 horizon_days=int(request["horizon_days"]), instants=instants)
    return {"problems": problems}


def _day(text: str):
    from datetime import date

    return date.fromisoformat(text)


def main() -> None:
    memory_mb = int(sys.argv[1])
    from . import runner  # noqa: F401 - import SpiffWorkflow before the cap: it is not the diagram's memory

    _cap_memory(memory_mb)
    for line in sys.stdin:
        try:
            result = answer(json.loads(line))
        except MemoryError:
            result = {"error": "memory", "message": f"the scenarios used more than {memory_mb} MB"}
        except Exception as exc:  # noqa: BLE001 - report anything to the gate instead of dying
            result = {"error": "failed", "message": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
