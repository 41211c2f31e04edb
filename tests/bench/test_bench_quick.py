"""The benchmark suite runs (quick mode, in a subprocess) and reports every figure.

A benchmark, not a timed test: no figure is compared with a goal here, so a slow CI machine
never fails the build. What is checked is that the suite still runs against the current code
and that each section produced its figures, each present and positive, with the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECTIONS = {"1 evaluation", "2 naive baseline", "3 HTTP (gunicorn)", "4 FHIR fallback", "5 follow-ups",
            "6 cold start"}

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_quick_mode_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=580, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["mode"] == "quick"
    machine = report["machine"]
    assert machine["cores"] > 0 and machine["cpu"] and machine["date"]
    figures = report["figures"]
    assert {f["section"] for f in figures} == SECTIONS
    for f in figures:
        assert f["name"] and f["unit"], f
        assert isinstance(f["value"], float) and f["value"] > 0, f
        assert f["value"] != float("inf"), f
    names = " ".join(f["name"] for f in figures)
    for expected in ("median handler / loads", "per-resource cost 10,000 / 1,000", "median speed-up over naive",
                     "p50", "p99", "highest rate sustained", "total / (one query + evaluation)",
                     "Task rows", "distinct Task identifiers", "first hook answered"):
        assert expected in names, expected
    for f in figures:  # the table shows the same figures
        assert f["name"] in run.stdout
