"""Events pushed by regional authority systems: by HTTP batch, CSV upload and Kafka.

Every channel hands the same items to :mod:`.intake`, which records each one exactly once
by (authority, external id) through the ledger service.
"""
