"""Admin policy, user preferences and credentials."""
