"""Errors of the media package, worded so the person who sees them can act on them."""


class AudioFileError(ValueError):
    """An audio file given to the app cannot be used (missing, empty, corrupt or not audio)."""


class AudioWriteError(OSError):
    """Audio cannot be written to its file (directory missing, not writable, disk full)."""
