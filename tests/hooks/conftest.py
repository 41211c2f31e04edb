"""Fixtures of the conformance suite: keys, JWKS (URL and file), a FHIR server, the live service.

Checklist ids (A1..L3) refer to shared/reference/cds-hooks-2.0-service-checklist.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cds.app import create_app
from cds.config import Settings

from .ehr import JwksServer, KeyPair, Signer
from .fhir_server import FhirServer
from .live import Ehr, LiveService

ISSUER_URL = "https://ehr.test/url-issuer"
ISSUER_FILE = "https://ehr.test/file-issuer"
REPO = Path(__file__).resolve().parents[2]
SYNTHEA = sorted((REPO / "tests" / "fixtures" / "synthea").glob("*-bundle.json"))


@pytest.fixture(scope="session")
def keys() -> KeyPair:
    return KeyPair("ehr")


@pytest.fixture(scope="session")
def file_keys() -> KeyPair:
    return KeyPair("ehr-file")


@pytest.fixture(scope="session")
def jwks_server(keys: KeyPair) -> Iterator[JwksServer]:
    server = JwksServer(keys.jwks())
    yield server
    server.close()


@pytest.fixture(scope="session")
def jwks_file(file_keys: KeyPair, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(file_keys.jwks()))
    return path


@pytest.fixture(scope="session")
def base_settings(jwks_server: JwksServer, jwks_file: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return replace(
        Settings.from_env({}),
        instance_dir=tmp_path_factory.mktemp("instance"),
        trusted_issuers={ISSUER_URL: jwks_server.url, ISSUER_FILE: str(jwks_file)},
        cors_origins=("https://sandbox.cds-hooks.org",),
    )


@pytest.fixture
def fhir() -> Iterator[FhirServer]:
    server = FhirServer()
    yield server
    server.close()


@pytest.fixture
def make_service(base_settings: Settings) -> Iterator[Callable[..., LiveService]]:
    started: list[LiveService] = []

    def make(**overrides: Any) -> LiveService:
        live = LiveService(create_app(replace(base_settings, **overrides)))
        started.append(live)
        return live

    yield make
    for live in started:
        live.close()


@pytest.fixture
def service(make_service: Callable[..., LiveService]) -> LiveService:
    return make_service()


@pytest.fixture
def signer(keys: KeyPair) -> Signer:
    return Signer(ISSUER_URL, keys)


@pytest.fixture
def ehr(service: LiveService, signer: Signer, fhir: FhirServer) -> Iterator[Ehr]:
    client = Ehr(service, signer, fhir)
    yield client
    client.close()


def load_bundle(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def set_clock(live: LiveService, now: Any) -> None:
    """Inject the service's clock (the evaluation moment when no ended encounter is given)."""
    live.app.extensions["cds.hooks"].clock = lambda: now


@pytest.fixture
def ready(ehr: Ehr, fhir: FhirServer) -> Ehr:
    """The EHR with the risky Synthea case loaded on its FHIR server, at that case's moment."""
    from .common import CASE

    fhir.load(CASE.bundle)
    set_clock(ehr.service, CASE.now)
    return ehr
