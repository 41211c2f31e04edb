"""Figures, the machine they were measured on, the table and the JSON."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    goal: str = ""  # e.g. "<= 3"; empty when the figure is context for another one
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    mode: str
    machine: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: float, unit: str, *, goal: str = "",
            met: bool | None = None, note: str = "") -> Figure:
        fig = Figure(section, name, float(value), unit, goal, met, note)
        self.figures.append(fig)
        return fig

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "machine": self.machine, "figures": [asdict(f) for f in self.figures],
                "notes": self.notes}

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2))

    def table(self, markdown: bool = False) -> str:
        rows = [("section", "figure", "value", "unit", "goal", "met")]
        for f in self.figures:
            met = "" if f.met is None else ("yes" if f.met else "NO")
            rows.append((f.section, f.name, _num(f.value), f.unit, f.goal, met))
        m = self.machine
        head = (f"{m.get('date')}  {m.get('cpu')}  {m.get('cores')} cores  Python {m.get('python')}  "
                f"mode {self.mode}")
        if markdown:
            lines = [f"Measured {head}.", "", "| " + " | ".join(rows[0]) + " |",
                     "|" + "|".join(["---"] * 2 + ["---:"] + ["---"] * 3) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out = [head, ""]
        for n, r in enumerate(rows):
            out.append("  ".join(c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                                  strict=True))))
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu or platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
