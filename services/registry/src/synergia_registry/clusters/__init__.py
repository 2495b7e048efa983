"""Cluster organisations: their cluster profile, members and completeness.

A cluster IS an actor of kind ``cluster_organisation``; this package keeps what only a
cluster has (ecosystems, S3 priorities, ESCA label, management FTE) and its members.
"""
