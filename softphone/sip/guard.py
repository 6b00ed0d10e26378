"""Keeps Python exceptions from crossing back into pjsua2 from a callback."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("softphone.sip")

F = TypeVar("F", bound=Callable[..., None])


def callback(method: F) -> F:
    """Log, as text, any exception a pjsua2 callback raises, and swallow nothing else.

    An exception escaping into SWIG is printed by `PyErr_Print`, which keeps its traceback (and
    so the `Call` in its frames) in `sys.last_traceback`: that object would then outlive the
    library and abort the process at exit. Only the formatted text is kept here.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            method(*args, **kwargs)
        except Exception:  # noqa: BLE001 - reported in full, never silently dropped
            log.error("pjsua2 callback %s failed:\n%s", method.__qualname__, traceback.format_exc())

    return wrapper  # type: ignore[return-value]
