"""Synergia matching service."""
