"""One exception tree for the whole service, each error with a stable code.

    CdsError                         code            HTTP  CLI
    ├── ConfigError                  config          -     exit 2
    ├── RuleError                    rules           -     exit 2
    │   └── PlanError                plan            -     exit 2
    ├── InputError                   invalid         400   exit 2
    │   ├── NotJsonError             not-json        400   exit 2
    │   ├── NotFhirError             not-fhir        400   exit 2
    │   ├── UnsupportedMediaError    content-type    415   -
    │   ├── PayloadTooLargeError     too-large       413   -
    │   └── HookRequestError         hook-request    400   -
    ├── NotFoundError                not-found       404   exit 2
    ├── AuthError                    unauthorized    401   -
    ├── PrefetchError                prefetch        412   -
    ├── ConflictError                conflict        409   exit 2
    │   └── PreconditionError        precondition    412   -
    ├── WriteBackError               write-back      502   -
    └── StoreError                   store           503   exit 2

`cds.hooks` turns any of these into an HTTP status and a FHIR OperationOutcome; `cds.cli` prints
one line on stderr and exits 2. Messages never carry patient data, tokens or JWTs.
"""

from __future__ import annotations


class CdsError(Exception):
    """Base of every error the service raises on purpose."""

    code = "error"
    http_status = 500
    issue_code = "exception"  # FHIR OperationOutcome.issue.code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(CdsError):
    """A configuration value is missing or wrong; the message names the key."""

    code = "config"
    issue_code = "invalid"

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"configuration {key}: {problem}")
        self.key = key


class RuleError(CdsError):
    """A rule file is invalid; the message names the file, the rule, the field and the problem."""

    code = "rules"
    issue_code = "invalid"

    def __init__(self, file: str, problem: str, rule: str | None = None, field: str | None = None):
        where = file
        if rule:
            where += f": rule {rule}"
        if field:
            where += f": field {field}"
        super().__init__(f"{where}: {problem}")
        self.file, self.rule, self.field = file, rule, field


class InputError(CdsError):
    """The caller sent something we cannot use."""

    code = "invalid"
    http_status = 400
    issue_code = "invalid"


class NotJsonError(InputError):
    code = "not-json"
    issue_code = "structure"


class NotFhirError(InputError):
    code = "not-fhir"
    issue_code = "structure"


class UnsupportedMediaError(InputError):
    code = "content-type"
    http_status = 415
    issue_code = "not-supported"


class PayloadTooLargeError(InputError):
    code = "too-large"
    http_status = 413
    issue_code = "too-long"


class HookRequestError(InputError):
    code = "hook-request"
    issue_code = "required"


class NotFoundError(CdsError):
    code = "not-found"
    http_status = 404
    issue_code = "not-found"


class AuthError(CdsError):
    """Authentication failed. The HTTP answer carries no detail; the reason is for metrics only."""

    code = "unauthorized"
    http_status = 401
    issue_code = "login"


class PrefetchError(CdsError):
    """Data the rules need could not be had from prefetch nor from the FHIR server."""

    code = "prefetch"
    http_status = 412
    issue_code = "incomplete"


class StoreError(CdsError):
    code = "store"
    http_status = 503
    issue_code = "transient"


class PlanError(RuleError):
    """The follow-up plan is invalid; the message names the file, the item and the field."""

    code = "plan"

    def __init__(self, file: str, problem: str, item: str | None = None, field: str | None = None):
        where = file + (f": item {item}" if item else "") + (f": field {field}" if field else "")
        CdsError.__init__(self, f"{where}: {problem}")
        self.file, self.rule, self.field = file, item, field


class ConflictError(CdsError):
    """The change does not fit the current state (e.g. a Task that is already completed)."""

    code = "conflict"
    http_status = 409
    issue_code = "conflict"


class PreconditionError(ConflictError):
    """If-Match named a version that is no longer current."""

    code = "precondition"
    http_status = 412


class WriteBackError(CdsError):
    """The EHR's FHIR server refused or missed a write; `retry` says if trying again helps."""

    code = "write-back"
    http_status = 502
    issue_code = "transient"

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry
