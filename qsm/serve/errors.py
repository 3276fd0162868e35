"""The API's errors, shaped like OpenAI's: ``{"error": {"message", "type", "param", "code"}}`` with the
HTTP status that says what went wrong (400/422 malformed, 401 bad key, 404 unknown, 409 busy, 413 too big)."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    409: "conflict_error",
    410: "not_found_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "server_busy_error",
}


class ApiError(Exception):
    """An error the API answers with: ``status`` and the fields of the OpenAI error object."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, code=self.code, param=self.param)


def error_body(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """The OpenAI-style error object for ``status``."""
    kind = _TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
