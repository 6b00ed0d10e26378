"""Call model: the closed vocabulary of call states and events, and call sessions."""
