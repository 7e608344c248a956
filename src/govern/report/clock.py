"""The report's clock: ``SOURCE_DATE_EPOCH`` (reproducible builds), read in one place."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from govern.errors import UsageError


def source_date() -> datetime | None:
    """Return ``SOURCE_DATE_EPOCH`` as a UTC datetime, or None when it is not set.

    Raises:
        UsageError: the variable is set but is not a whole number of seconds.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"SOURCE_DATE_EPOCH={value!r} is not a time.",
            hint="Set it to whole seconds since 1970-01-01 UTC, e.g. $(git log -1 --format=%ct).",
        ) from None
