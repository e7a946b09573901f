"""Which activity errors are never retried: configuration and programming errors.

Temporal retries a failed activity by default, and on the time-skipping server its back-off passes at once: a
missing DUIS schema or a ``TypeError`` in an activity would be retried about a thousand times a second, forever,
and the process would never end. Retrying cannot mend a missing file or a bug, so every worker runs
:class:`NonRetryableErrors`: such an error becomes a non-retryable ``ApplicationError`` naming the error type and
its message, and the workflow that scheduled the activity fails with it (a process workflow ends in its failure
branch, ``ServiceRequestFailed``). Business rejections are already non-retryable ``ApplicationError``s; transport
faults (a DCC answering HTTP 503, a dropped connection) stay retryable, bounded by the retry policy.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from dccflow.config import ConfigurationError
from dccflow.duis.schema import DuisConfigError

#: errors that a retry cannot mend: dccflow's configuration errors and Python's programming errors
NON_RETRYABLE: tuple[type[BaseException], ...] = (
    ConfigurationError, DuisConfigError,
    TypeError, AttributeError, NameError, ImportError, NotImplementedError, AssertionError,
    # a key missing from a mapping the code built itself (a drill once retried "KeyError: 'param_1'" for minutes)
    KeyError,
)


class NonRetryableErrors(Interceptor):
    """Worker interceptor: configuration and programming errors raised by an activity are not retried."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:  # noqa: A002
        return _Inbound(next)


class _Inbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:  # noqa: A002
        try:
            return await super().execute_activity(input)
        except ApplicationError:
            raise
        except NON_RETRYABLE as exc:
            kind = type(exc).__name__
            raise ApplicationError(f"{kind}: {exc}", type=kind, non_retryable=True) from exc
