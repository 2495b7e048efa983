"""Outbox (reliable publishing) and inbox (exactly-once effect) machinery."""
