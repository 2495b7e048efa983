"""Synergia's common package: the contract and the machinery the three services share."""
