"""Read a JSON request body once: content type, size limit, orjson parse."""

from __future__ import annotations

from typing import Any

import orjson
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from cds.errors import NotJsonError, PayloadTooLargeError, UnsupportedMediaError

JSON_TYPES = frozenset({"application/json", "application/fhir+json"})


def json_body(limit: int) -> Any:
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaError("Content-Type must be application/json")
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"request body larger than {limit} bytes")
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise PayloadTooLargeError(f"request body larger than {limit} bytes") from None
    if len(raw) > limit:
        raise PayloadTooLargeError(f"request body larger than {limit} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise NotJsonError(f"request body is not valid JSON (at position {exc.pos})") from None
