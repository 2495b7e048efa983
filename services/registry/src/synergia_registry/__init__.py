"""Synergia registry: innovation actors, clusters and value-chain initiatives."""
