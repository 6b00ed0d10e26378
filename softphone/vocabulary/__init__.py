"""What every layer shares: events, value types and the frame format; imports none of them."""
