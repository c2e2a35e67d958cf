"""One table of figures: floor, value, ratio to the floor, target and whether it is met; JSON to compare runs."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

UNITS_HIGHER_IS_BETTER = {"/s"}


@dataclass
class Figure:
    """One measured figure. `floor` is the engine's own cost (ms) for the same work, where one applies."""

    key: str
    name: str
    value: float | None
    unit: str
    floor: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    population: str = ""
    note: str = ""


def at_least(value: float, bound: float, unit: str) -> tuple[str, bool]:
    return f"≥ {bound:g} {unit}", value >= bound


def at_most(value: float, bound: float, unit: str) -> tuple[str, bool]:
    return f"≤ {bound:g} {unit}".rstrip(), value <= bound


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("/s", "KB", "MB"):
        return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:g} {unit}".rstrip()


@dataclass
class Report:
    title: str
    meta: dict = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        mark = {True: "✓", False: "✗", None: ""}[figure.ok]
        print(f"  {figure.name}: {_number(figure.value, figure.unit)} {figure.target} {mark}".rstrip(), flush=True)
        return figure

    def rows(self) -> list[tuple[str, ...]]:
        rows = []
        for f in self.figures:
            rows.append((f.name, "" if f.floor is None else f"{f.floor:.2f} ms", _number(f.value, f.unit),
                         "" if f.ratio is None else f"{f.ratio:.1f}x", f.target,
                         {True: "✓", False: "✗", None: ""}[f.ok], f.population, f.note))
        return rows

    def print(self) -> None:
        header = ("figure", "floor", "value", "ratio", "target", "", "population", "note")
        rows = self.rows()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(f"\n{self.title}\n")
        for row in [header, tuple("-" * w for w in widths), *rows]:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        met = sum(1 for f in self.figures if f.ok)
        judged = sum(1 for f in self.figures if f.ok is not None)
        print(f"\ntargets met: {met} of {judged}")

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"title": self.title, "meta": {**self.meta, "python": platform.python_version(),
                                               "machine": platform.machine()},
                "figures": [asdict(f) for f in self.figures]}
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def compare(previous_path: Path, previous_text: str, current: Report) -> None:
    """Print each figure beside the same figure of an earlier results file, with the change."""
    previous = {f["key"]: f for f in json.loads(previous_text).get("figures", [])}
    rows = []
    for f in current.figures:
        old = previous.get(f.key)
        if old is None or old["value"] is None or f.value is None:
            continue
        change = (f.value - old["value"]) / old["value"] * 100 if old["value"] else 0.0
        higher_is_better = f.unit in UNITS_HIGHER_IS_BETTER or f.key.endswith(".scaling")
        better = change > 0 if higher_is_better else change < 0
        verdict = "better" if better and abs(change) >= 5 else "worse" if abs(change) >= 5 else "same"
        rows.append((f.name, _number(old["value"], f.unit), _number(f.value, f.unit), f"{change:+.0f}%", verdict))
    header = ("figure", "before", "now", "change", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\ncompared with {previous_path}\n")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
