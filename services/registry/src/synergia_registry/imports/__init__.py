"""Imports of open data into the registry (CORDIS Horizon 2020 organisations)."""
