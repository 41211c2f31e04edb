"""A service with a few due Tasks, for the API and worklist tests: the real app factory on
SQLite, a fixed clock, follow-ups run in-process (no broker needed for these)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from flask import Flask

from cds.app import create_app
from cds.config import Settings
from cds.followups.run import dispatch, run_followup
from cds.store import Store

from ..store.helpers import T0, Clock, FakeEvaluation, discharge

NOW = T0 + timedelta(days=43)  # the 2-day call is overdue, the 6-week check is due


def coordinator_app(tmp_path: Path) -> tuple[Flask, Store, Clock]:
    settings = replace(Settings.from_env({}), instance_dir=tmp_path, auth_disabled=True)
    app = create_app(settings)
    store: Store = app.extensions["cds.store"]
    clock = Clock(NOW)
    store.clock = clock
    discharge(store)
    discharge(store, hook="h2", encounter="enc-2", patient="pat-2",
              evaluation=FakeEvaluation(), at=T0 + timedelta(days=30))
    dispatch(store, settings, lambda fid: run_followup(store, settings, fid), actor="test")
    return app, store, clock
