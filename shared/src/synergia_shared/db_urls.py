"""Database URL helpers: one PostgreSQL server, one database per service."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def database_url_for(server_url: str, service: str) -> str:
    """The URL of ``service``'s own database on the server ``server_url`` names.

    ``DATABASE_URL`` names a server; each service owns the database ``synergia_<service>``
    on it, so no service can read another's tables by accident.
    """
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=f"synergia_{service}")
    return url.render_as_string(hide_password=False)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The same URL in the plain form asyncpg (and LISTEN connections) accept."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
