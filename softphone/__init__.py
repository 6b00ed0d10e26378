"""Hold-aware contact-centre softphone core: SIP, media, calls, recordings, config."""

__version__ = "0.1.0"
