"""GETs against the EHR's FHIR server for prefetch keys the EHR did not fill.

All queries of one call run in parallel on the app's thread pool, share one `requests.Session`
(connection reuse) and one deadline: the total time budget. Bundles are followed through their
`next` links, but only on the EHR's own FHIR base, so the access token never leaves it. Each body
is parsed once with orjson and never validated as a whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

MAX_PAGES = 50
ABSENT = object()  # an instance read answered 404/410: known to be absent


class FhirUnavailable(Exception):
    """The FHIR server could not give us what we asked; `reason` is a short metric label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FhirClient:
    def __init__(
        self,
        session: requests.Session,
        executor: Executor,
        base_url: str | None,
        access_token: str | None,
        budget_s: float,
        *,
        on_call: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._executor = executor
        self._base = base_url.rstrip("/") if base_url else None
        self._token = access_token
        self._clock = clock
        self._deadline = clock() + budget_s
        self._on_call = on_call

    def fetch_many(self, jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run `jobs` in parallel within the deadline; FhirUnavailable on the first failure."""
        futures: dict[str, Future[Any]] = {k: self._executor.submit(f) for k, f in jobs.items()}
        results: dict[str, Any] = {}
        try:
            for key, future in futures.items():
                try:
                    results[key] = future.result(timeout=max(self._remaining(), 0.001))
                except FutureTimeout:
                    raise FhirUnavailable("timeout") from None
        finally:
            for future in futures.values():
                future.cancel()
        return results

    def query(self, relative: str) -> Any:
        """A read (resource or ABSENT) or a search (one Bundle holding every page's entries)."""
        if self._base is None:
            raise FhirUnavailable("no-server")
        doc = self._get(f"{self._base}/{relative.lstrip('/')}", absent_ok="?" not in relative)
        if doc is ABSENT or doc.get("resourceType") != "Bundle":
            return doc
        return self.complete(doc)

    def complete(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """The bundle with every page behind its `next` links merged into one entry list."""
        entries = list(bundle.get("entry") or [])
        seen: set[str] = set()
        page = bundle
        for _ in range(MAX_PAGES):
            next_url = _next_link(page)
            if next_url is None:
                return {**_empty(bundle), "entry": entries} if entries else _empty(bundle)
            if next_url in seen:
                raise FhirUnavailable("paging-loop")
            seen.add(next_url)
            if self._base is None or not _same_base(next_url, self._base):
                raise FhirUnavailable("foreign-next-link")
            page = self._get(next_url, absent_ok=False)
            if page.get("resourceType") != "Bundle":
                raise FhirUnavailable("bad-page")
            entries.extend(page.get("entry") or [])
        raise FhirUnavailable("too-many-pages")

    def _remaining(self) -> float:
        return self._deadline - self._clock()

    def _get(self, url: str, *, absent_ok: bool) -> Any:
        remaining = self._remaining()
        if remaining <= 0:
            raise FhirUnavailable("timeout")
        headers = {"Accept": "application/fhir+json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        self._on_call()
        try:
            response = self._session.get(url, headers=headers, timeout=remaining)
        except requests.Timeout:
            raise FhirUnavailable("timeout") from None
        except requests.RequestException:
            raise FhirUnavailable("connection") from None
        if absent_ok and response.status_code in (404, 410):
            return ABSENT
        if response.status_code in (401, 403):
            raise FhirUnavailable("forbidden")
        if response.status_code != 200:
            raise FhirUnavailable(f"http-{response.status_code // 100}xx")
        try:
            doc = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise FhirUnavailable("not-json") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
            raise FhirUnavailable("not-fhir")
        if doc["resourceType"] == "OperationOutcome":
            raise FhirUnavailable("operation-outcome")
        return doc


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _empty(bundle: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in bundle.items() if k not in {"entry", "link"}}


def _same_base(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path)
