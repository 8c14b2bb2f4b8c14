"""What a client call raises.

``GridshiftApiError`` when the server answered with an error (its RFC 9457 problem details attached),
``GridshiftConnectionError`` when no answer came (refused, unreachable, timed out, the stream was cut).
Both are ``GridshiftError``.
"""

from __future__ import annotations

from typing import List, Optional

from .types import FieldProblem, Problem


class GridshiftError(Exception):
    """Anything the gridshift client raises on purpose."""


class GridshiftApiError(GridshiftError):
    """The server answered with an error status; ``problem`` is what it sent."""

    def __init__(self, operation: str, problem: Problem) -> None:
        detail = problem.get("detail")
        super().__init__(
            f"{operation}: {problem['status']} {problem['title']}" + (f": {detail}" if detail else "")
        )
        #: the operation, e.g. ``POST /v1/loads``
        self.operation: str = operation
        #: the problem details the server sent (or made up from the status when the body was not one)
        self.problem: Problem = problem

    @property
    def status(self) -> int:
        """The HTTP status (400, 401, 404 ...)."""
        return self.problem["status"]

    @property
    def title(self) -> str:
        """The status's title (``Bad Request`` ...)."""
        return self.problem["title"]

    @property
    def detail(self) -> Optional[str]:
        """What went wrong, for people."""
        return self.problem.get("detail")

    @property
    def type(self) -> str:
        """The problem type URI (``urn:gridshift:problem:not-found`` ...)."""
        return self.problem["type"]

    @property
    def errors(self) -> List[FieldProblem]:
        """The fields at fault, for bad input (``body.durationMin`` ...)."""
        return list(self.problem.get("errors") or [])


class GridshiftConnectionError(GridshiftError):
    """No answer came from the server: refused, unreachable, timed out, or the event stream was cut."""

    def __init__(self, base_url: str, reason: str, code: Optional[str] = None) -> None:
        super().__init__(f"cannot reach the gridshift server at {base_url}: {reason}")
        #: the server's base URL
        self.base_url: str = base_url
        #: why, for people
        self.reason: str = reason
        #: ``ECONNREFUSED``, ``ENOTFOUND``, ``timeout``, ``ECONNRESET`` ... when known
        self.code: Optional[str] = code
