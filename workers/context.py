"""Per-process state for the tasks: settings, the store and an HTTP session, made on first
use and dropped after fork (a database connection must never cross a fork)."""

from __future__ import annotations

import logging
from typing import Any

import requests
from celery.signals import worker_process_init

from cds.config import Settings
from cds.store import Store, create_store

log = logging.getLogger(__name__)
_state: dict[str, Any] = {}


def settings() -> Settings:
    if "settings" not in _state:
        _state["settings"] = Settings.from_env()
    value: Settings = _state["settings"]
    return value


def store() -> Store:
    if "store" not in _state:
        _state["store"] = create_store(settings())
    value: Store = _state["store"]
    return value


def http() -> requests.Session:
    if "http" not in _state:
        _state["http"] = requests.Session()
    value: requests.Session = _state["http"]
    return value


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _after_fork(**_: Any) -> None:
    existing = _state.pop("store", None)
    if existing is not None:
        existing.engine.dispose(close=False)  # the parent's connections stay the parent's
    _state.pop("http", None)
