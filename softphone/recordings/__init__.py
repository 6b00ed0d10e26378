"""Recordings: store, writer, metadata, evidence, audit trail, index, retention, review."""
