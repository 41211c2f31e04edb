"""The embedded default: no Redis, no database configured. A real worker and beat run beside the
service (workers.embedded), on SQLite and kombu's SQLAlchemy transport: the same Celery path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cds.config import Settings
from cds.followups.ids import followup_id
from cds.store import DONE, create_store
from workers import embedded
from workers.celery_app import broker_url

from ..store.helpers import discharge
from .services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_embedded_worker_and_beat_run_the_whole_flow(tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), instance_dir=tmp_path, dispatch_interval_s=0.5)
    assert embedded.wanted(settings)
    assert broker_url(settings) == f"sqla+sqlite:///{tmp_path.resolve()}/broker.sqlite3"
    store = create_store(settings)
    handle = embedded.start(settings, log_dir=tmp_path)
    try:
        discharge(store, at=datetime.now(UTC) - timedelta(days=2, hours=1))
        fid = followup_id("enc-1", "pelvic-floor-call-2d")
        wait_for(lambda: (row := store.followup(fid)) is not None and row.state == DONE, 60,
                 f"the embedded worker to create the Task (logs in {tmp_path})")
        assert handle.alive()
        assert store.search_tasks()[1] == 1
    finally:
        handle.stop()
        store.close()
    assert not handle.processes
    assert not embedded.wanted(replace(settings, redis_url="redis://127.0.0.1:6379/0"))
