"""The request and response shapes of the gridshift API, as JSON dictionaries.

Field names are the API's own (camelCase, as in docs/api.md and /openapi.json), so what a 400 answer names
(``body.durationMin``) is the key you wrote. Times are ISO-8601 strings; numbers that cannot be known are
``None``. Keys marked optional in the API are absent rather than ``None`` when not set.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

LoadState = Literal["planned", "waiting", "running", "succeeded", "failed", "dead", "cancelled"]
ServerEventType = Literal[
    "load.state", "load.planned", "signal.update", "window.clean_started", "window.best_now"
]
ReportGroup = Literal["day", "week", "month", "tag", "zone", "none"]

# ----------------------------------------------------------------------------------------------- errors


class FieldProblem(TypedDict):
    #: where: ``body.durationMin``, ``query.limit``, ``params.id``
    path: str
    message: str


class _ProblemRequired(TypedDict):
    type: str
    title: str
    status: int


class Problem(_ProblemRequired, total=False):
    """An RFC 9457 problem: every error answer of the API."""

    detail: str
    errors: List[FieldProblem]


# ----------------------------------------------------------------------------------------------- loads


class DispatchTarget(TypedDict, total=False):
    """How the load is started: ``{"kind": "shell", "command": ...}``, ``{"kind": "webhook", "url": ...}``,
    ``{"kind": "mqtt", "topic": ...}``, ``{"kind": "kubernetes", ...}`` or ``{"kind": "none"}`` (you start
    the work yourself when the load turns ``running``). See docs/dispatch.md for every field."""

    kind: str
    command: Union[str, List[str]]
    cwd: str
    env: Dict[str, str]
    url: str
    headers: Dict[str, str]
    secretEnv: str
    topic: str
    payload: Dict[str, Any]
    qos: int
    retain: bool
    namespace: str
    template: Dict[str, Any]
    templateFile: str
    kubeconfig: str
    context: str
    timeoutSec: float


class Recurrence(TypedDict, total=False):
    cron: str
    flexMin: int
    timeZone: str


class _NewLoadRequired(TypedDict):
    name: str


class NewLoad(_NewLoadRequired, total=False):
    """A load to submit (POST /v1/loads) or preview: give ``zones`` (or ``region``) and two of
    ``durationMin``, ``powerKw`` and ``energyKwh``; ``deadline`` or ``maxDelayMin`` bound when it may run."""

    tags: List[str]
    zones: List[str]
    region: str
    durationMin: float
    powerKw: float
    energyKwh: float
    earliest: str
    deadline: str
    maxDelayMin: float
    interruptible: bool
    minPieceMin: float
    maxPieces: int
    objective: str
    carbonCapG: float
    priority: int
    dispatch: DispatchTarget
    idempotencyKey: str
    maxRetries: int
    recurrence: Recurrence


class Run(TypedDict):
    start: str
    end: str


class LoadPlan(TypedDict):
    """The plan stored with a load."""

    zone: str
    runs: List[Run]
    expectedEmissionsG: Optional[float]
    expectedCost: Optional[float]
    baselineEmissionsG: Optional[float]
    baselineCost: Optional[float]
    currency: Optional[str]


class Load(TypedDict):
    id: str
    name: str
    tags: List[str]
    zones: List[str]
    cloudRegion: Optional[str]
    durationMin: float
    powerKw: Optional[float]
    energyKwh: Optional[float]
    earliest: str
    deadline: str
    interruptible: bool
    objective: str
    carbonCapG: Optional[float]
    priority: int
    dispatch: Dict[str, Any]
    idempotencyKey: Optional[str]
    maxRetries: int
    state: LoadState
    attempt: int
    plan: Optional[LoadPlan]
    plannedStart: Optional[str]
    templateId: Optional[str]
    lastError: Optional[str]
    createdAt: str
    updatedAt: str
    stateChangedAt: str
    startedAt: Optional[str]
    finishedAt: Optional[str]


# functional form: one key, ``from``, is a Python keyword
LoadEvent = TypedDict(
    "LoadEvent",
    {
        "seq": int,
        "at": str,
        # None for the first
        "from": Optional[LoadState],
        "to": LoadState,
        "attempt": int,
        "detail": Dict[str, Any],
    },
)
"""One state transition of a load."""


class LoadAccounting(TypedDict):
    """What a load emitted and cost once it ran, against running it at once."""

    energyKwh: Optional[float]
    emissionsG: Optional[float]
    failedEnergyKwh: Optional[float]
    failedEmissionsG: Optional[float]
    baselineEmissionsG: Optional[float]
    savingsG: Optional[float]
    cost: Optional[float]
    baselineCost: Optional[float]
    currency: Optional[str]
    #: ``actual``: measured values of the slots used; ``forecast``: the forecast it ran on
    basis: Literal["actual", "forecast"]
    source: str


class _PlanBaselineRequired(TypedDict):
    zone: str
    runs: List[Run]
    emissionsG: Optional[float]


class PlanBaseline(_PlanBaselineRequired, total=False):
    cost: Optional[float]


class _PlanSavingsRequired(TypedDict):
    emissionsG: Optional[float]
    emissionsPct: Optional[float]


class PlanSavings(_PlanSavingsRequired, total=False):
    cost: Optional[float]
    costPct: Optional[float]


class _PlanRequired(TypedDict):
    zone: str
    objective: str
    stepMin: float
    reason: Literal["best-window", "already-best", "waits-for-better", "no-room", "no-data"]
    runs: List[Run]
    energyKwh: float
    emissionsG: Optional[float]
    baseline: PlanBaseline
    savings: PlanSavings
    alternatives: List[Dict[str, Any]]
    sources: Dict[str, str]


class Plan(_PlanRequired, total=False):
    """When (and where) a load would run, against running it at once."""

    id: str
    name: str
    slots: List[str]
    cost: Optional[float]
    currency: str
    capExceeded: bool
    carbonCapG: float
    degraded: List[str]
    waiting: Dict[str, Any]


class _SubmitResultRequired(TypedDict):
    load: Load
    plan: Plan
    #: False when the idempotency key matched an earlier load, returned unchanged
    created: bool


class SubmitResult(_SubmitResultRequired, total=False):
    #: for a recurring load: the id of the recurring load; ``load`` is its first occurrence
    templateId: str


class PlanPreview(TypedDict):
    plan: Plan


class LoadDetail(TypedDict):
    load: Load
    events: List[LoadEvent]
    accounting: Optional[LoadAccounting]


class LoadPage(TypedDict):
    loads: List[Load]
    #: pass as ``cursor`` for the next page; ``None`` on the last page
    nextCursor: Optional[str]


# ----------------------------------------------------------------------------------------------- decisions


class DecideNow(TypedDict):
    action: Literal["run", "defer"]
    reason: str
    zone: str
    metric: str
    unit: Optional[str]
    #: now when running now, else the start of the best window
    startAt: str
    current: Optional[float]
    bestValue: Optional[float]
    bestAt: Optional[str]
    expectedSavingsPct: float
    deadline: str
    durationMin: float
    source: Optional[str]
    degraded: bool
    reasons: List[str]


class ModelTierSignals(TypedDict):
    carbon: Optional[float]
    carbonForecastMean: Optional[float]
    price: Optional[float]
    solarKw: Optional[float]


class ModelTier(TypedDict):
    tier: Literal["large", "small"]
    reason: str
    zone: str
    signals: ModelTierSignals
    source: Optional[str]
    degraded: bool


# ----------------------------------------------------------------------------------------------- reports


class ReportFigures(TypedDict):
    loads: int
    energyKwh: Optional[float]
    emissionsG: Optional[float]
    baselineEmissionsG: Optional[float]
    savingsG: Optional[float]
    savingsPct: Optional[float]
    cost: Optional[float]
    baselineCost: Optional[float]
    costSavingsPct: Optional[float]
    currency: Optional[str]
    #: loads accounted on forecast values (no measured values yet)
    forecastBasis: int
    failedEnergyKwh: Optional[float]
    failedEmissionsG: Optional[float]


class ReportRow(ReportFigures):
    key: str


class Report(TypedDict):
    query: Dict[str, str]
    rows: List[ReportRow]
    totals: ReportFigures


# ----------------------------------------------------------------------------------------------- signals, zones


class ZoneSummary(TypedDict, total=False):
    code: str
    name: str
    timeZone: str
    country: str
    parent: str
    aliases: List[str]
    metric: Literal["carbon_average", "carbon_marginal"]
    failurePolicy: Literal["open", "closed"]
    sources: Dict[str, List[str]]


# ----------------------------------------------------------------------------------------------- events


LoadStateEvent = TypedDict(
    "LoadStateEvent",
    {
        "type": Literal["load.state"],
        "at": str,
        "loadId": str,
        "name": str,
        # None for a new load
        "from": Optional[LoadState],
        "to": LoadState,
        "attempt": int,
    },
)
"""``load.state``: a load changed state."""


class LoadPlannedEvent(TypedDict):
    type: Literal["load.planned"]
    at: str
    loadId: str
    zone: str
    plannedStart: str
    reason: str


class SignalUpdateEvent(TypedDict):
    type: Literal["signal.update"]
    at: str
    zone: str
    carbon: Optional[float]
    price: Optional[float]
    source: str


class WindowEvent(TypedDict):
    type: Literal["window.clean_started", "window.best_now"]
    at: str
    zone: str
    carbon: Optional[float]
    price: Optional[float]


#: One Server-Sent Event of GET /v1/events; tell them apart by ``event["type"]``.
ServerEvent = Union[LoadStateEvent, LoadPlannedEvent, SignalUpdateEvent, WindowEvent]
