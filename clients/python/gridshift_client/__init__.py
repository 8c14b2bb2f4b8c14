"""A small client of the gridshift HTTP API for Python 3.9+, standard library only.

>>> from gridshift_client import GridshiftClient
>>> gridshift = GridshiftClient.from_env()  # GRIDSHIFT_URL, GRIDSHIFT_TOKEN
>>> decision = gridshift.decide("DE", duration_min=90)
"""

__version__ = "0.1.0"

from .client import STARTED_OR_ENDED, GridshiftClient  # noqa: E402
from .errors import GridshiftApiError, GridshiftConnectionError, GridshiftError  # noqa: E402
from .operations import OPERATIONS  # noqa: E402
from .sse import SseDecoder, SseMessage  # noqa: E402
from .types import (  # noqa: E402
    DecideNow,
    DispatchTarget,
    FieldProblem,
    Load,
    LoadAccounting,
    LoadDetail,
    LoadEvent,
    LoadPage,
    LoadPlan,
    LoadPlannedEvent,
    LoadState,
    LoadStateEvent,
    ModelTier,
    NewLoad,
    Plan,
    PlanPreview,
    Problem,
    Report,
    ReportFigures,
    ReportGroup,
    ReportRow,
    ServerEvent,
    ServerEventType,
    SignalUpdateEvent,
    SubmitResult,
    WindowEvent,
    ZoneSummary,
)

__all__ = [
    "OPERATIONS",
    "STARTED_OR_ENDED",
    "DecideNow",
    "DispatchTarget",
    "FieldProblem",
    "GridshiftApiError",
    "GridshiftClient",
    "GridshiftConnectionError",
    "GridshiftError",
    "Load",
    "LoadAccounting",
    "LoadDetail",
    "LoadEvent",
    "LoadPage",
    "LoadPlan",
    "LoadPlannedEvent",
    "LoadState",
    "LoadStateEvent",
    "ModelTier",
    "NewLoad",
    "Plan",
    "PlanPreview",
    "Problem",
    "Report",
    "ReportFigures",
    "ReportGroup",
    "ReportRow",
    "ServerEvent",
    "ServerEventType",
    "SignalUpdateEvent",
    "SseDecoder",
    "SseMessage",
    "SubmitResult",
    "WindowEvent",
    "ZoneSummary",
    "__version__",
]
