"""`cds followups dispatch|list` as a user runs them: subprocesses with their own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cds.followups.ids import followup_id
from cds.store import PENDING, Store

from ..store.helpers import T0, discharge, make_store
from .services import free_port


def cds(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CDS_", "CELERY_"))}
    base.update({"CDS_INSTANCE_DIR": str(tmp_path), **env})
    return subprocess.run([sys.executable, "-m", "cds.cli", "followups", *args], env=base,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = make_store(f"sqlite:///{tmp_path / 'cds.sqlite3'}", tmp_path)
    discharge(s)
    return s


@pytest.mark.parametrize("args", [
    ("dispatch", "--as-of", "2025-13-01"),
    ("dispatch", "--as-of"),
    ("list", "--state", "lost"),
    ("nothing",),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    out = cds(tmp_path, *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("cds: ")


def test_bad_configuration_names_the_key(tmp_path: Path) -> None:
    out = cds(tmp_path, "list", CDS_FOLLOWUP_TRIGGER="sometimes")
    assert out.returncode == 2
    assert out.stderr.startswith("cds: error: configuration CDS_FOLLOWUP_TRIGGER: invalid value")


def test_dispatch_inline_and_list(tmp_path: Path, store: Store) -> None:
    out = cds(tmp_path, "dispatch", "--inline", "--as-of", (T0 + timedelta(days=2)).isoformat())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "claimed 1, ran 1: done 1"
    listing = cds(tmp_path, "list", "--format", "json")
    rows = json.loads(listing.stdout)
    assert [(r["item"], r["state"]) for r in rows] == [
        ("pelvic-floor-call-2d", "done"), ("pelvic-floor-check-6w", "pending"),
        ("pelvic-floor-check-3m", "pending"),
    ]
    text = cds(tmp_path, "list", "--state", "pending").stdout.splitlines()
    assert len(text) == 3 and "pat-1" not in "".join(text)  # ids and items only, no patient data


def test_dispatch_with_the_broker_down_releases_and_exits_2(tmp_path: Path, store: Store) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    out = cds(tmp_path, "dispatch", "--as-of", (T0 + timedelta(days=50)).isoformat(), CDS_BROKER_URL=down)
    assert out.returncode == 2
    assert out.stderr == "cds: error: the broker did not take 2 follow-ups; they stay pending\n"
    assert "claimed 2, sent 0, released 2" in out.stdout
    row = store.followup(followup_id("enc-1", "pelvic-floor-call-2d"))
    assert row is not None and row.state == PENDING and row.last_error is not None
    assert row.last_error.startswith("enqueue failed")
