"""Operations: health, readiness, metrics, OpenAPI, the education page, CORS (I1-I3), the CLI."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from cds.cli import build_parser
from cds.knowledge import Knowledge

from .live import Ehr, LiveService

ORIGIN = "https://sandbox.cds-hooks.org"


def test_healthz_and_readyz(service: LiveService) -> None:
    assert requests.get(service.base + "/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(service.base + "/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["checks"]["store"] == "ok"


def test_readyz_reports_an_unreachable_store(make_service: Any) -> None:
    import sqlalchemy as sa

    live = make_service()
    store = live.app.extensions["cds.store"]
    store.engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # the database goes away
    ready = requests.get(live.base + "/readyz", timeout=20)
    assert ready.status_code == 503 and ready.json()["checks"]["store"] == "unavailable"


def test_unreachable_database_at_start_names_the_key() -> None:
    from dataclasses import replace

    from cds.app import create_app
    from cds.config import Settings
    from cds.errors import ConfigError

    settings = replace(Settings.from_env({}), database_url="postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match="CDS_DATABASE_URL") as info:
        create_app(settings)
    assert "secret" not in info.value.message


def test_metrics_count_calls_latency_and_cards(ehr: Ehr) -> None:
    ehr.call("pfd-risk-discharge", {})
    text = requests.get(ehr.service.base + "/metrics", timeout=5).text
    assert 'cds_hook_calls_total{service="pfd-risk-discharge",status="400"} 1.0' in text
    assert "cds_hook_latency_seconds_bucket" in text
    for name in ("cds_cards_total", "cds_fhir_fallback_calls_total",
                 "cds_fhir_fallback_failures_total", "cds_jwt_rejections_total"):
        assert f"# TYPE {name} counter" in text


def test_openapi_describes_every_endpoint(service: LiveService) -> None:
    doc = requests.get(service.base + "/openapi.json", timeout=5).json()
    assert doc["openapi"].startswith("3.")
    ours = {re.sub(r"<(\w+)>", r"{\1}", str(r)) for r in service.app.url_map.iter_rules()
            if r.endpoint.startswith(("cds_hooks.", "cds_ops."))}
    assert len(ours) == 8
    assert ours == ours & set(doc["paths"])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_education_page_quotes_the_leaflet(service: LiveService, kb: Knowledge,
                                           lang: str) -> None:
    response = requests.get(f"{service.base}/education?lang={lang}", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Content-Language"] == lang
    html = response.text
    assert "@media print" in html
    import html as html_lib
    text = html_lib.unescape(html)
    for sid in ("E1", "E2", "E3", "E4", "E5", "E6", "K1", "K2", "K3", "K4", "N1"):
        assert kb.statements[sid][lang] in text, sid
        assert f'id="{sid}"' in html
    for sid in ("E1", "E6"):
        assert kb.statements[sid][f"name_{lang}"] in text


def test_education_page_language(service: LiveService) -> None:
    en = requests.get(service.base + "/education", headers={"Accept-Language": "en"}, timeout=5)
    assert en.headers["Content-Language"] == "en"
    assert requests.get(service.base + "/education", timeout=5).headers[
        "Content-Language"] == "nl"
    assert requests.get(service.base + "/education?lang=fr", timeout=5).status_code == 400


@pytest.mark.parametrize("path", ["/cds-services", "/cds-services/pfd-risk-discharge",
                                  "/cds-services/pfd-risk-discharge/feedback"])
def test_i1_i2_cors_preflight_on_all_three_endpoints(service: LiveService, path: str) -> None:
    response = requests.options(service.base + path, timeout=5, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_i3_cors_origin_allowlist(ehr: Ehr) -> None:
    good = ehr.http.get(ehr.url("/cds-services"),
                        headers=ehr.headers("/cds-services", Origin=ORIGIN))
    assert good.headers["Access-Control-Allow-Origin"] == ORIGIN
    bad = ehr.http.get(ehr.url("/cds-services"),
                       headers=ehr.headers("/cds-services", Origin="https://evil.test"))
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_cli_has_serve(capsys: Any) -> None:
    parser = build_parser()
    args = parser.parse_args(["serve", "--host", "127.0.0.1", "--port", "9999"])
    assert (args.host, args.port) == ("127.0.0.1", 9999)
    assert callable(args.handler)


def test_config_errors_name_the_key() -> None:
    from cds.config import Settings
    from cds.errors import ConfigError

    for key, value in (("CDS_TRUSTED_ISSUERS", "[1]"), ("CDS_FHIR_BUDGET_SECONDS", "-1"),
                       ("CDS_TRUSTED_ISSUERS", '{"https://i": "/no/such/file"}'),
                       ("CDS_CORS_ORIGINS", ","), ("CDS_PUBLIC_BASE_URL", "cds.test")):
        with pytest.raises(ConfigError, match=key):
            Settings.from_env({key: value})
