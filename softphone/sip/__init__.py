"""SIP engine: the only package that imports pjsua2."""
