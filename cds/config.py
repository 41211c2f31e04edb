"""Settings from environment variables, checked once at start.

Every key is read here and nowhere else. A bad value raises `ConfigError` naming the key and
what is wrong with it, so an operator can fix a deployment from the first log line.
Embedded defaults run the whole service on one machine with no Redis or database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cds.errors import ConfigError

T = TypeVar("T")

DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _lang(raw: str) -> str:
    if raw not in {"nl", "en"}:
        raise ValueError("must be nl or en")
    return raw


def _read(env: Mapping[str, str], key: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError) as exc:
        # Never echo the raw value: a misplaced secret must not reach a log line.
        raise ConfigError(key, f"invalid value ({exc})") from None


@dataclass(frozen=True)
class Settings:
    """All configuration of the service. See the table in README.md."""

    rules_dir: Path = DEFAULT_RULES_DIR
    default_lang: str = "nl"
    extra: dict[str, Any] = field(default_factory=dict)
    # --- CDS Hooks service (cds.hooks, cds.security); see docs/hooks.md ---
    trusted_issuers: dict[str, str] = field(default_factory=dict)
    auth_disabled: bool = False
    redis_url: str | None = None
    cors_origins: tuple[str, ...] = ("*",)
    fhir_budget_s: float = 2.0
    fhir_max_workers: int = 8
    fhir_allow_http: bool = False
    max_body_bytes: int = 16 * 1024 * 1024
    jwt_leeway_s: int = 60
    jwt_max_age_s: int = 3600
    jwks_cache_s: int = 300
    public_base_url: str | None = None
    smart_app_url: str | None = None
    # --- follow-ups, store, workers (cds.store, cds.followups, workers); docs/followups.md ---
    instance_dir: Path = Path("instance")
    database_url: str | None = None
    broker_url: str | None = None
    followup_trigger: str = "risk"
    dispatch_interval_s: float = 60.0
    followup_stuck_s: int = 900
    followup_max_attempts: int = 8
    followup_backoff_s: int = 60
    followup_backoff_max_s: int = 3600
    followup_batch: int = 100
    followup_owner: str = "CareTeam/bekkenbodem-nazorg"
    task_identifier_system: str = "urn:bodem-cds:followup-task"
    task_fhir_base_url: str | None = None
    task_fhir_token: str | None = field(default=None, repr=False)
    task_fhir_timeout_s: float = 10.0
    coordinator_user_header: str = "X-Forwarded-User"
    celery_queue: str = "cds-followups"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        rules_dir = _read(env, "CDS_RULES_DIR", Path, DEFAULT_RULES_DIR)
        if not rules_dir.is_dir():
            raise ConfigError("CDS_RULES_DIR", f"not a directory: {rules_dir}")
        return cls(
            rules_dir=rules_dir,
            default_lang=_read(env, "CDS_DEFAULT_LANG", _lang, "nl"),
            **_hooks_from_env(env),
            **_followups_from_env(env),
        )


# --- CDS Hooks service keys (owned by cds.hooks / cds.security) ---


def _issuers(raw: str) -> dict[str, str]:
    """JSON object issuer -> JWKS URL or local JWKS file path."""
    import json

    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError("expected a JSON object issuer -> JWKS URL or file") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValueError("expected a JSON object of non-empty strings")
    for issuer, source in value.items():
        if not source.startswith(("https://", "http://")) and not Path(source).is_file():
            raise ValueError(f"JWKS for issuer {issuer!r} is neither a URL nor a file")
    return value


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if not origins:
        raise ValueError("expected * or a comma-separated list of origins")
    return origins


def _url(raw: str) -> str:
    if not raw.startswith(("https://", "http://")):
        raise ValueError("expected an http(s) URL")
    return raw.rstrip("/")


def _hooks_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "trusted_issuers": _read(env, "CDS_TRUSTED_ISSUERS", _issuers, dict[str, str]()),
        "auth_disabled": _read(env, "CDS_AUTH_DISABLED", _bool, False),
        "redis_url": _read(env, "CDS_REDIS_URL", str, None),
        "cors_origins": _read(env, "CDS_CORS_ORIGINS", _origins, tuple[str, ...](("*",))),
        "fhir_budget_s": _read(env, "CDS_FHIR_BUDGET_SECONDS", _positive_float, 2.0),
        "fhir_max_workers": _read(env, "CDS_FHIR_MAX_WORKERS", _positive_int, 8),
        "fhir_allow_http": _read(env, "CDS_FHIR_ALLOW_HTTP", _bool, False),
        "max_body_bytes": _read(env, "CDS_MAX_BODY_BYTES", _positive_int, 16 * 1024 * 1024),
        "jwt_leeway_s": _read(env, "CDS_JWT_LEEWAY_SECONDS", _positive_int, 60),
        "jwt_max_age_s": _read(env, "CDS_JWT_MAX_AGE_SECONDS", _positive_int, 3600),
        "jwks_cache_s": _read(env, "CDS_JWKS_CACHE_SECONDS", _positive_int, 300),
        "public_base_url": _read(env, "CDS_PUBLIC_BASE_URL", _url, None),
        "smart_app_url": _read(env, "CDS_SMART_APP_URL", _url, None),
    }


# --- follow-up, store and worker keys (owned by cds.store / cds.followups / workers) ---

FOLLOWUP_TRIGGERS = ("risk", "all-postpartum", "accepted")


def _trigger(raw: str) -> str:
    if raw not in FOLLOWUP_TRIGGERS:
        raise ValueError("must be one of " + ", ".join(FOLLOWUP_TRIGGERS))
    return raw


def _reference(raw: str) -> str:
    import re

    if not re.fullmatch(r"[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}", raw):
        raise ValueError("expected a FHIR reference such as CareTeam/postnatal")
    return raw


def _header(raw: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9-]+", raw):
        raise ValueError("expected an HTTP header name")
    return raw


def _token_file(raw: str) -> str:
    try:
        token = Path(raw).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read the file ({exc.strerror})") from None
    if not token:
        raise ValueError("the file is empty")
    return token


def _followups_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    token = _read(env, "CDS_TASK_FHIR_TOKEN", str, None)
    token = _read(env, "CDS_TASK_FHIR_TOKEN_FILE", _token_file, token)
    return {
        "instance_dir": _read(env, "CDS_INSTANCE_DIR", Path, Path("instance")),
        "database_url": _read(env, "CDS_DATABASE_URL", str, None),
        "broker_url": _read(env, "CDS_BROKER_URL", str, None),
        "followup_trigger": _read(env, "CDS_FOLLOWUP_TRIGGER", _trigger, "risk"),
        "dispatch_interval_s": _read(env, "CDS_DISPATCH_INTERVAL_SECONDS", _positive_float, 60.0),
        "followup_stuck_s": _read(env, "CDS_FOLLOWUP_STUCK_SECONDS", _positive_int, 900),
        "followup_max_attempts": _read(env, "CDS_FOLLOWUP_MAX_ATTEMPTS", _positive_int, 8),
        "followup_backoff_s": _read(env, "CDS_FOLLOWUP_BACKOFF_SECONDS", _positive_int, 60),
        "followup_backoff_max_s": _read(env, "CDS_FOLLOWUP_BACKOFF_MAX_SECONDS", _positive_int, 3600),
        "followup_batch": _read(env, "CDS_FOLLOWUP_BATCH", _positive_int, 100),
        "followup_owner": _read(env, "CDS_FOLLOWUP_OWNER", _reference, "CareTeam/bekkenbodem-nazorg"),
        "task_identifier_system": _read(env, "CDS_TASK_IDENTIFIER_SYSTEM", str, "urn:bodem-cds:followup-task"),
        "task_fhir_base_url": _read(env, "CDS_TASK_FHIR_BASE_URL", _url, None),
        "task_fhir_token": token,
        "task_fhir_timeout_s": _read(env, "CDS_TASK_FHIR_TIMEOUT_SECONDS", _positive_float, 10.0),
        "coordinator_user_header": _read(env, "CDS_COORDINATOR_USER_HEADER", _header, "X-Forwarded-User"),
        "celery_queue": _read(env, "CDS_CELERY_QUEUE", _header, "cds-followups"),
    }
