"""The gridshift HTTP API from Python, with the standard library only (http.client, json).

>>> from gridshift_client import GridshiftClient
>>> gridshift = GridshiftClient("http://127.0.0.1:8080", token="gs_...")
>>> result = gridshift.submit({"name": "train", "zones": ["DE"], "durationMin": 90, "powerKw": 3.5})
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import socket
import ssl
import time
from typing import (
    Any,
    Callable,
    Collection,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
    cast,
)
from urllib.parse import quote, urlencode, urlsplit

from . import __version__
from .errors import GridshiftApiError, GridshiftConnectionError
from .operations import OPERATIONS
from .sse import SseDecoder
from .types import (
    DecideNow,
    Load,
    LoadDetail,
    LoadPage,
    LoadState,
    ModelTier,
    NewLoad,
    PlanPreview,
    Problem,
    Report,
    ReportGroup,
    ServerEvent,
    ServerEventType,
    SubmitResult,
    ZoneSummary,
)

QueryValue = Union[str, int, float, bool, Sequence[str], None]

#: the states a load is in once its time came: it started, or it ended without starting
STARTED_OR_ENDED: FrozenSet[LoadState] = frozenset({"running", "succeeded", "failed", "dead", "cancelled"})

_READ_CHUNK = 65536


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fields(**values: Any) -> Dict[str, Any]:
    """Keyword arguments as the API's fields: snake_case names become camelCase, None is left out."""
    return {_camel(k.rstrip("_")): v for k, v in values.items() if v is not None}


class GridshiftClient:
    """A client of one gridshift server (``gridshift serve``).

    ``timeout`` (seconds) bounds connecting and each read of an answer; ``None`` waits for ever. The event
    stream (``watch``) has its own ``idle_timeout``. Proxies from the environment are not used.
    """

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        *,
        timeout: Optional[float] = 30.0,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f'base_url: "{base_url}" is not an http(s) URL')
        self.base_url: str = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers: Dict[str, str] = {"user-agent": f"gridshift-client-python/{__version__}"}
        self._headers.update({k.lower(): v for k, v in (headers or {}).items()})

    @classmethod
    def from_env(cls, *, timeout: Optional[float] = 30.0) -> "GridshiftClient":
        """The server at ``GRIDSHIFT_URL`` (default ``http://127.0.0.1:8080``) with ``GRIDSHIFT_TOKEN``."""
        return cls(
            os.environ.get("GRIDSHIFT_URL") or "http://127.0.0.1:8080",
            os.environ.get("GRIDSHIFT_TOKEN") or None,
            timeout=timeout,
        )

    # ------------------------------------------------------------------------------------------- loads

    def submit(self, load: NewLoad) -> SubmitResult:
        """POST /v1/loads: plan, store and queue a load (a repeated ``idempotencyKey`` returns the first)."""
        return cast(SubmitResult, self._json("submit", body=load))

    def preview(self, load: NewLoad) -> PlanPreview:
        """POST /v1/loads/preview: the plan a submit would make, storing nothing."""
        return cast(PlanPreview, self._json("preview", body=load))

    def get(self, load_id: str) -> LoadDetail:
        """GET /v1/loads/{id}: the load, its state history and its accounting."""
        return cast(LoadDetail, self._json("get", params={"id": load_id}))

    def list(
        self,
        *,
        state: Union[LoadState, Sequence[LoadState], None] = None,
        tag: Optional[str] = None,
        zone: Optional[str] = None,
        created_from: Optional[str] = None,
        created_before: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> LoadPage:
        """GET /v1/loads: one page of loads, newest first; pass ``nextCursor`` as ``cursor`` for the next."""
        query = _fields(
            state=state,
            tag=tag,
            zone=zone,
            created_from=created_from,
            created_before=created_before,
            limit=limit,
            cursor=cursor,
        )
        return cast(LoadPage, self._json("list", query=query))

    def list_all(
        self,
        *,
        state: Union[LoadState, Sequence[LoadState], None] = None,
        tag: Optional[str] = None,
        zone: Optional[str] = None,
        created_from: Optional[str] = None,
        created_before: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Iterator[Load]:
        """GET /v1/loads, page after page: every matching load, newest first."""
        cursor: Optional[str] = None
        while True:
            page = self.list(
                state=state,
                tag=tag,
                zone=zone,
                created_from=created_from,
                created_before=created_before,
                limit=limit,
                cursor=cursor,
            )
            yield from page["loads"]
            cursor = page["nextCursor"]
            if not cursor:
                return

    def cancel(self, load_id: str, reason: Optional[str] = None) -> Load:
        """POST /v1/loads/{id}/cancel: the load, cancelled (409 when its state does not allow it)."""
        answer = self._json("cancel", params={"id": load_id}, body=_fields(reason=reason))
        return cast(Load, answer["load"])

    def run_now(self, load_id: str) -> Load:
        """POST /v1/loads/{id}/run-now: start a waiting load now instead of at its planned time."""
        return cast(Load, self._json("run_now", params={"id": load_id})["load"])

    def retry(self, load_id: str) -> Load:
        """POST /v1/loads/{id}/retry: queue a failed or dead load again."""
        return cast(Load, self._json("retry", params={"id": load_id})["load"])

    # ------------------------------------------------------------------------------------------- decisions

    def decide(
        self,
        zone: str,
        *,
        duration_min: Optional[float] = None,
        deadline: Optional[str] = None,
        metric: Optional[str] = None,
        tolerance_pct: Optional[float] = None,
        run_at_or_below: Optional[float] = None,
        step_min: Optional[float] = None,
    ) -> DecideNow:
        """POST /v1/decide/now: run now, or defer to a better window before ``deadline``?"""
        body = _fields(
            zone=zone,
            duration_min=duration_min,
            deadline=deadline,
            metric=metric,
            tolerance_pct=tolerance_pct,
            run_at_or_below=run_at_or_below,
            step_min=step_min,
        )
        return cast(DecideNow, self._json("decide", body=body))

    def decide_tier(
        self,
        zone: str,
        *,
        carbon_below: Optional[float] = None,
        below_forecast_mean: Optional[bool] = None,
        price_below: Optional[float] = None,
        solar_kw: Optional[float] = None,
        min_solar_kw: Optional[float] = None,
        forecast_hours: Optional[float] = None,
    ) -> ModelTier:
        """POST /v1/decide/model-tier: the large or the small model now?"""
        body = _fields(
            zone=zone,
            carbon_below=carbon_below,
            below_forecast_mean=below_forecast_mean,
            price_below=price_below,
            solar_kw=solar_kw,
            min_solar_kw=min_solar_kw,
            forecast_hours=forecast_hours,
        )
        return cast(ModelTier, self._json("decide_tier", body=body))

    # ------------------------------------------------------------------------------------------- reports, signals

    def report(
        self,
        *,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        group_by: Optional[ReportGroup] = None,
        zone: Optional[str] = None,
        tag: Optional[str] = None,
        tz: Optional[str] = None,
    ) -> Report:
        """GET /v1/reports: what the loads that ran in [from_, to) emitted and saved, in rows and totals."""
        query = _fields(from_=from_, to=to, group_by=group_by, zone=zone, tag=tag, tz=tz)
        return cast(Report, self._json("report", query=query))

    def signals(
        self,
        zone: str,
        *,
        metric: Optional[str] = None,
        hours: Optional[float] = None,
        step_min: Optional[float] = None,
        threshold: Optional[float] = None,
    ) -> Dict[str, Any]:
        """GET /v1/signals/{zone}: carbon and price now, their quality, the sources and the forecast."""
        query = _fields(metric=metric, hours=hours, step_min=step_min, threshold=threshold)
        return cast(Dict[str, Any], self._json("signals", params={"zone": zone}, query=query))

    def zones(self, search: Optional[str] = None) -> List[ZoneSummary]:
        """GET /v1/zones: the zones the server knows."""
        return cast(List[ZoneSummary], self._json("zones", query=_fields(search=search))["zones"])

    def health(self) -> bool:
        """GET /readyz: True when the server is ready (store, migrations, queue)."""
        answer: Dict[str, Any] = self._json("ready", accept_status=(503,))
        return answer.get("status") == "ready"

    # ------------------------------------------------------------------------------------------- events

    def watch(
        self,
        types: Optional[Collection[ServerEventType]] = None,
        *,
        on_open: Optional[Callable[[], None]] = None,
        reconnect: bool = True,
        max_reconnects: int = 5,
        reconnect_delay: Optional[float] = None,
        idle_timeout: Optional[float] = 60.0,
    ) -> Iterator[ServerEvent]:
        """GET /v1/events: the scheduler's events as they happen, for as long as you iterate.

        ``on_open`` is called each time the server accepts the stream (first and after every reconnect):
        events published from then on are delivered. When the connection drops (or is idle longer than
        ``idle_timeout`` seconds; the server sends a keep-alive every 15 s), the client reconnects after
        ``reconnect_delay`` (default the delay the server suggests, 5 s) and sends ``Last-Event-ID``. The
        server does not replay events missed in between: re-read the state you need in ``on_open``. After
        ``max_reconnects`` failed attempts in a row, ``GridshiftConnectionError`` is raised. An error answer
        (401, 400 for an unknown type) is raised at once as ``GridshiftApiError``.
        """
        query = _fields(types=sorted(types) if types is not None else None)
        decoder = SseDecoder()
        failures = 0
        while True:
            headers = {"accept": "text/event-stream"}
            if decoder.last_event_id is not None:
                headers["last-event-id"] = decoder.last_event_id
            try:
                conn, response = self._open("watch", query=query, headers=headers, timeout=idle_timeout)
            except GridshiftConnectionError:
                if not reconnect or failures >= max_reconnects:
                    raise
                failures += 1
                time.sleep(self._retry_delay(reconnect_delay, decoder))
                continue
            failures = 0
            cut: Optional[GridshiftConnectionError] = None
            try:
                if on_open is not None:
                    on_open()
                decoder = _fresh_stream(decoder)
                while True:
                    try:
                        chunk = response.read1(_READ_CHUNK)
                    except (OSError, http.client.HTTPException) as err:
                        cut = self._connection_error(err, idle_timeout)
                        break
                    messages = decoder.feed(chunk) if chunk else decoder.end()
                    for message in messages:
                        if message.event != "message":
                            yield cast(ServerEvent, json.loads(message.data))
                    if not chunk:
                        break
            finally:
                conn.close()
            if not reconnect:
                if cut is not None:
                    raise cut
                return
            time.sleep(self._retry_delay(reconnect_delay, decoder))

    def wait(
        self,
        load_id: str,
        states: Collection[LoadState] = STARTED_OR_ENDED,
        **watch_options: Any,
    ) -> Load:
        """Blocks until the load is in one of ``states`` (default: it started, or it ended), following the
        event stream; returns the load. The load is read again each time the stream opens, so no change is
        missed between submitting and watching, or while reconnecting. Takes ``watch``'s options."""
        def check() -> None:
            load = self.get(load_id)["load"]
            if load["state"] in states:
                raise _Arrived(load)

        try:
            for event in self.watch(["load.state"], on_open=check, **watch_options):
                if event.get("loadId") == load_id and event.get("to") in states:
                    return self.get(load_id)["load"]
        except _Arrived as arrived:
            return arrived.load
        raise GridshiftConnectionError(self.base_url, "the event stream ended before the load got there")

    # ------------------------------------------------------------------------------------------- HTTP

    def _retry_delay(self, explicit: Optional[float], decoder: SseDecoder) -> float:
        if explicit is not None:
            return explicit
        return decoder.retry_s if decoder.retry_s is not None else 5.0

    def _json(
        self,
        op: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, QueryValue]] = None,
        body: Any = None,
        accept_status: Sequence[int] = (),
    ) -> Any:
        conn, response = self._open(
            op, params=params, query=query, body=body, accept_status=accept_status, timeout=self.timeout
        )
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as err:
            raise self._connection_error(err, self.timeout) from err
        finally:
            conn.close()
        if response.status == 204 or not data:
            return None
        return json.loads(data)

    def _open(
        self,
        op: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, QueryValue]] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        accept_status: Sequence[int] = (),
        timeout: Optional[float],
    ) -> "tuple[http.client.HTTPConnection, http.client.HTTPResponse]":
        """Sends one request; returns the open connection and its answer (status below 400, or listed in
        ``accept_status``); raises GridshiftApiError for an error answer, GridshiftConnectionError for none."""
        method, template = OPERATIONS[op]
        target = self._prefix + self._path(op, template, params or {}) + self._query(query or {})
        all_headers = {"accept": "application/json", **self._headers, **(headers or {})}
        if self.token:
            all_headers["authorization"] = f"Bearer {self.token}"
        payload: Optional[bytes] = None
        if body is not None:
            all_headers["content-type"] = "application/json"
            payload = json.dumps(body).encode("utf-8")
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            conn.request(method, target, body=payload, headers=all_headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise self._connection_error(err, timeout) from err
        if response.status >= 400 and response.status not in accept_status:
            try:
                problem = _problem_of(response)
            except (OSError, http.client.HTTPException) as err:
                raise self._connection_error(err, timeout) from err
            finally:
                conn.close()
            raise GridshiftApiError(f"{method} {template}", problem)
        return conn, response

    @staticmethod
    def _path(op: str, template: str, params: Mapping[str, str]) -> str:
        path = template
        for name in ("id", "zone"):
            if "{" + name + "}" in path:
                value = params.get(name)
                if not value:
                    raise ValueError(f"{op}: {'load_id' if name == 'id' else name} is required")
                path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return path

    @staticmethod
    def _query(query: Mapping[str, QueryValue]) -> str:
        pairs = []
        for key, value in query.items():
            if value is None:
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (list, tuple, set, frozenset)):
                text = ",".join(str(v) for v in value)
            else:
                text = str(value)
            pairs.append((key, text))
        return "?" + urlencode(pairs) if pairs else ""

    def _connection_error(self, err: BaseException, timeout: Optional[float]) -> GridshiftConnectionError:
        if isinstance(err, (socket.timeout, TimeoutError)):
            return GridshiftConnectionError(self.base_url, f"no answer within {timeout:g} s", "timeout")
        if isinstance(err, ConnectionRefusedError):
            return GridshiftConnectionError(self.base_url, "connection refused", "ECONNREFUSED")
        if isinstance(err, socket.gaierror):
            return GridshiftConnectionError(self.base_url, f"unknown host: {err}", "ENOTFOUND")
        if isinstance(err, ssl.SSLError):
            return GridshiftConnectionError(self.base_url, f"TLS: {err}", "ssl")
        if isinstance(err, (ConnectionResetError, http.client.RemoteDisconnected)):
            return GridshiftConnectionError(self.base_url, "the connection was closed", "ECONNRESET")
        if isinstance(err, http.client.IncompleteRead):
            return GridshiftConnectionError(self.base_url, "the answer was cut off", "ECONNRESET")
        code = errno.errorcode.get(err.errno) if isinstance(err, OSError) and err.errno else None
        return GridshiftConnectionError(self.base_url, str(err) or type(err).__name__, code)


class _Arrived(Exception):
    """Leaves ``wait``'s event stream from ``on_open``: the load was already there."""

    def __init__(self, load: Load) -> None:
        super().__init__(load["id"])
        self.load = load


def _fresh_stream(decoder: SseDecoder) -> SseDecoder:
    """A decoder for a new connection that remembers the last event id and retry of the previous one."""
    fresh = SseDecoder()
    fresh.last_event_id = decoder.last_event_id
    fresh.retry_s = decoder.retry_s
    return fresh


def _problem_of(response: http.client.HTTPResponse) -> Problem:
    """The problem details of an error answer; made up from the status when the body is not one."""
    text = response.read().decode("utf-8", errors="replace")
    fallback: Problem = {
        "type": "about:blank",
        "title": response.reason or f"HTTP {response.status}",
        "status": response.status,
    }
    if text:
        fallback["detail"] = text[:500]
    if "json" not in (response.getheader("content-type") or "").lower():
        return fallback
    try:
        body = json.loads(text)
    except ValueError:
        return fallback
    if not isinstance(body, dict) or not isinstance(body.get("title"), str):
        return fallback
    problem: Problem = {
        "type": body["type"] if isinstance(body.get("type"), str) else "about:blank",
        "title": body["title"],
        "status": body["status"] if isinstance(body.get("status"), int) else response.status,
    }
    if isinstance(body.get("detail"), str):
        problem["detail"] = body["detail"]
    if isinstance(body.get("errors"), list):
        problem["errors"] = body["errors"]
    return problem
