"""Partner profiles, kept from the registry's events."""
