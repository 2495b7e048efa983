"""Funding beneficiaries, kept from the registry's events."""
