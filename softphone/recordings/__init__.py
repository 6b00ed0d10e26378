"""Recording store: layout, metadata, finalize, recovery."""
