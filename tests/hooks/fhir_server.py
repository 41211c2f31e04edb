"""A small FHIR server on 127.0.0.1 for the conformance suite.

It holds one patient's data (a Bundle as loaded by a real server: urn:uuid references rewritten
to Type/id), answers reads and the searches our prefetch templates use (patient, code token
lists, _count) with paged searchsets (`next` links), and checks the bearer token.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

_PATIENT_REF = {"FamilyMemberHistory": "patient", "Patient": None}


def as_stored(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Resources as a FHIR server stores them: every urn:uuid reference becomes Type/id."""
    entries = [e for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]
    mapping: dict[str, str] = {}
    out = []
    for n, entry in enumerate(entries):
        res = copy.deepcopy(entry["resource"])
        res.setdefault("id", f"gen-{n}")
        if isinstance(entry.get("fullUrl"), str):
            mapping[entry["fullUrl"]] = f"{res['resourceType']}/{res['id']}"
        out.append(res)

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (mapping.get(v, v) if k == "reference" and isinstance(v, str)
                        else rewrite(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    return [rewrite(r) for r in out]


def _codes(res: dict[str, Any]) -> set[str]:
    concepts = [res.get("code")]
    concepts += [c.get("code") for c in res.get("condition", []) if isinstance(c, dict)]
    found = set()
    for concept in concepts:
        for coding in (concept or {}).get("coding", []):
            found.add(f"{coding.get('system')}|{coding.get('code')}")
    return found


class FhirServer:
    def __init__(self, token: str | None = "fhir-access-token", page_size: int = 100) -> None:
        self.token = token
        self.page_size = page_size
        self.delay_s = 0.0
        self.fail_status: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        self.by_type: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def do_GET(self) -> None:
                owner.requests.append((self.path, self.headers.get("Authorization")))
                if owner.delay_s:
                    time.sleep(owner.delay_s)
                status, doc = owner.answer(self.path, self.headers.get("Authorization"))
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def load(self, bundle: dict[str, Any]) -> None:
        self.by_type.clear()
        for res in as_stored(bundle):
            self.by_type[res["resourceType"]][res["id"]] = res

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    # --- the FHIR API -------------------------------------------------------------------
    def answer(self, path: str, auth: str | None) -> tuple[int, dict[str, Any]]:
        if self.token and auth != f"Bearer {self.token}":
            return 401, _outcome("login")
        if self.fail_status:
            return self.fail_status, _outcome("transient")
        parts = urlsplit(path)
        segments = parts.path.removeprefix("/fhir/").strip("/").split("/")
        if len(segments) == 2:
            res = self.by_type.get(segments[0], {}).get(segments[1])
            return (200, res) if res else (404, _outcome("not-found"))
        if len(segments) == 1 and segments[0]:
            return 200, self.search(segments[0], parse_qs(parts.query))
        return 400, _outcome("invalid")

    def search(self, rtype: str, params: dict[str, list[str]]) -> dict[str, Any]:
        matches = list(self.by_type.get(rtype, {}).values())
        if "patient" in params:
            ref = f"Patient/{params['patient'][0]}"
            field = _PATIENT_REF.get(rtype, "subject")
            matches = [r for r in matches if field and (r.get(field) or {}).get("reference") == ref]
        if "code" in params:
            wanted = set(params["code"][0].split(","))
            matches = [r for r in matches if _codes(r) & wanted]
        offset = int(params.get("_offset", ["0"])[0])
        count = int(params.get("_count", [str(self.page_size)])[0])
        page = matches[offset: offset + count]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle", "type": "searchset", "total": len(matches),
            "link": [{"relation": "self", "url": f"{self.base}/{rtype}"}],
            "entry": [{"fullUrl": f"{self.base}/{rtype}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in page],
        }
        if offset + count < len(matches):
            query = {k: v[0] for k, v in params.items()} | {"_offset": str(offset + count)}
            bundle["link"].append({"relation": "next",
                                   "url": f"{self.base}/{rtype}?{urlencode(query)}"})
        if not bundle["entry"]:
            del bundle["entry"]
        return bundle


def _outcome(code: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code}]}
