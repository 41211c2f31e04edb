"""Database engines: SQLite embedded by default, PostgreSQL in production.

SQLite gets WAL and BEGIN IMMEDIATE so the web process, the worker and beat can share one file
without "database is locked" surprises; PostgreSQL creates its schema under an advisory lock so
processes that start together do not race on CREATE TABLE.

No `pool_pre_ping`: it cost a `SELECT 1` round trip on every checkout (12 % of a hook call).
A pooled connection that died (database restart, a proxy's idle cut) is instead met by
`Store`'s single retry of the unit of work, and `pool_recycle` replaces connections before
typical idle cut-offs (about 4-6 minutes on cloud load balancers and NAT) can reach them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cds.config import Settings
from cds.errors import ConfigError
from cds.store.schema import metadata

_SCHEMA_LOCK = 7_270_311  # any constant; only this service takes it
_RECYCLE_S = 240  # below the shortest common idle cut-off (Azure's load balancer: 4 minutes)


def database_url(settings: Settings) -> str:
    """CDS_DATABASE_URL, else SQLite at <CDS_INSTANCE_DIR>/cds.sqlite3."""
    if settings.database_url:
        url = settings.database_url
        # psycopg 3 is the driver we ship; a bare postgresql:// would pick psycopg2.
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{(settings.instance_dir / 'cds.sqlite3').resolve()}"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError("CDS_DATABASE_URL", "not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, json_serializer=_json, json_deserializer=orjson.loads,
                                  connect_args={"timeout": 15})
        _sqlite_pragmas(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError("CDS_DATABASE_URL", "only sqlite and postgresql are supported")
    return sa.create_engine(url, json_serializer=_json, json_deserializer=orjson.loads,
                            pool_size=5, max_overflow=10, pool_recycle=_RECYCLE_S)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads then writes can fail
        # at once with SQLITE_BUSY instead of waiting for the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        metadata.create_all(conn)
