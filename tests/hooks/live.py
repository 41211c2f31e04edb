"""The service under test on a real loopback port, and an EHR client that talks to it."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

from cds.hooks.prefetch import render

from .ehr import Signer
from .fhir_server import FhirServer


class LiveService:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        state = self.app.extensions["cds.hooks"]
        state.executor.shutdown(wait=True)
        state.session.close()


class Ehr:
    """Calls the service as an EHR does: JWT per call, hook requests, prefetch from its server."""

    def __init__(self, service: LiveService, signer: Signer, fhir: FhirServer | None = None):
        self.service = service
        self.signer = signer
        self.fhir = fhir
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return f"{self.service.base}{path}"

    def headers(self, path: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.token(self.url(path))}", **extra}

    def discovery(self) -> requests.Response:
        return self.http.get(self.url("/cds-services"), headers=self.headers("/cds-services"))

    def services(self) -> dict[str, dict[str, Any]]:
        response = self.discovery()
        response.raise_for_status()
        return {s["id"]: s for s in response.json()["services"]}

    def post(self, path: str, body: Any, **headers: str) -> requests.Response:
        return self.http.post(self.url(path), json=body, headers=self.headers(path, **headers))

    def call(self, service_id: str, body: dict[str, Any], **headers: str) -> requests.Response:
        return self.post(f"/cds-services/{service_id}", body, **headers)

    def request(self, service: dict[str, Any], context: dict[str, str], *,
                prefetch_keys: list[str] | None = None, fhir: bool = True,
                follow_pages: bool = True) -> dict[str, Any]:
        """A hook request; `prefetch_keys` of the service's templates are filled from the EHR's
        FHIR server (all when None), the rest left for the service to fetch."""
        body: dict[str, Any] = {"hook": service["hook"], "hookInstance": str(uuid.uuid4()),
                                "context": context}
        if fhir and self.fhir is not None:
            body["fhirServer"] = self.fhir.base
            body["fhirAuthorization"] = {
                "access_token": self.fhir.token, "token_type": "Bearer", "expires_in": 300,
                "scope": "patient/*.read", "subject": "cds-service",
                "patient": context["patientId"],
            }
        templates = service.get("prefetch", {})
        keys = list(templates) if prefetch_keys is None else prefetch_keys
        prefetch = {}
        for key in keys:
            query = render(templates[key], context)
            if query is not None:
                prefetch[key] = self.fetch(query, follow_pages=follow_pages)
        if prefetch:
            body["prefetch"] = prefetch
        return body

    def fetch(self, query: str, *, follow_pages: bool = True) -> Any:
        """What the EHR would put in prefetch for this query (None when absent)."""
        assert self.fhir is not None
        auth = {"Authorization": f"Bearer {self.fhir.token}"}
        response = self.http.get(f"{self.fhir.base}/{query}", headers=auth)
        if response.status_code == 404:
            return None
        doc = response.json()
        if doc.get("resourceType") != "Bundle" or not follow_pages:
            return doc
        entries = list(doc.get("entry", []))
        page = doc
        while nxt := next((lk["url"] for lk in page.get("link", []) if lk["relation"] == "next"),
                          None):
            page = self.http.get(nxt, headers=auth).json()
            entries += page.get("entry", [])
        merged = {k: v for k, v in doc.items() if k not in ("link", "entry")}
        if entries:
            merged["entry"] = entries
        return merged
