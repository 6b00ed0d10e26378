"""Test suite: unit, integration (real SIP on 127.0.0.1) and ui (pytest-qt)."""
