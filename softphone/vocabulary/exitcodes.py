"""The exit codes of every `softphone` command, one meaning each (docs/admin.md lists them)."""

from __future__ import annotations

OK = 0
"""Done: the call went through and was recorded, the check passed, the value was set."""

FAILED = 1
"""A call was refused or failed, a registration failed, the self-test failed."""

BAD_INPUT = 2
"""Bad input: an option, a file, an invalid or unusable policy, an unknown account."""

KEYRING = 3
"""No secure OS keyring, or the keyring failed."""

NOT_RECORDED = 4
"""The call went through but was not recorded, or only in part; standard error says why."""

INTERRUPTED = 130
"""Stopped by Ctrl-C (a call in progress is hung up first), as shells count SIGINT."""

PIPE_CLOSED = 141
"""The output was a pipe whose reader went away (`... | head`), as shells count SIGPIPE."""
