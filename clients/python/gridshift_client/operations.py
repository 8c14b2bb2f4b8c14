"""Every operation the client calls, by method name: its HTTP method and path template as /openapi.json
names them. The client builds its requests from this table, and its tests check it against the OpenAPI
document of a running server, so the client and the API cannot drift apart unnoticed."""

from __future__ import annotations

from typing import Dict, Tuple

OPERATIONS: Dict[str, Tuple[str, str]] = {
    "health": ("GET", "/healthz"),
    "ready": ("GET", "/readyz"),
    "submit": ("POST", "/v1/loads"),
    "preview": ("POST", "/v1/loads/preview"),
    "list": ("GET", "/v1/loads"),
    "get": ("GET", "/v1/loads/{id}"),
    "cancel": ("POST", "/v1/loads/{id}/cancel"),
    "run_now": ("POST", "/v1/loads/{id}/run-now"),
    "retry": ("POST", "/v1/loads/{id}/retry"),
    "decide": ("POST", "/v1/decide/now"),
    "decide_tier": ("POST", "/v1/decide/model-tier"),
    "report": ("GET", "/v1/reports"),
    "signals": ("GET", "/v1/signals/{zone}"),
    "zones": ("GET", "/v1/zones"),
    "watch": ("GET", "/v1/events"),
}
