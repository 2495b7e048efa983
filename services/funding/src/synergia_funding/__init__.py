"""Synergia funding service."""
