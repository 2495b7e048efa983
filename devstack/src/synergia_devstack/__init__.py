"""Development and test stack: embedded PostgreSQL, the embedded broker, service processes.

Not part of the product images: production points the services at real servers.
"""
