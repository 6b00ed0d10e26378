"""Routes pjsua2's own log lines into Python `logging` under the `softphone.sip.pjsip` logger."""

from __future__ import annotations

import logging

import pjsua2 as pj

_log = logging.getLogger("softphone.sip.pjsip")

# pjsua2 levels: 0 fatal, 1 error, 2 warning, 3 info, 4 debug, 5 trace, 6 detailed trace.
_LEVELS = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}


class PjLogWriter(pj.LogWriter):  # type: ignore[misc]
    """pjsua2 log sink; runs on whichever thread logged, and `logging` is thread-safe."""

    def write(self, entry: pj.LogEntry) -> None:
        """Forward one pjsua2 log entry."""
        level = _LEVELS.get(int(entry.level), logging.DEBUG)
        if _log.isEnabledFor(level):
            _log.log(level, "%s", str(entry.msg).rstrip())
