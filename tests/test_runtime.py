"""The served process freezes its start-up heap and raises the first GC threshold (cds.runtime)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = "import gc, cds.wsgi; print(gc.get_freeze_count(), gc.get_threshold()[0])"


def test_wsgi_app_settles_the_heap(tmp_path: Path) -> None:
    env = {**os.environ, "CDS_DATABASE_URL": f"sqlite:///{tmp_path / 'cds.db'}"}
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    frozen, gen0 = map(int, run.stdout.split())
    assert frozen > 50_000  # rules, value sets, models: out of every later collection
    assert gen0 == 50_000
