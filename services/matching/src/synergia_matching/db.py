"""The matching service's own tables share one metadata (its Alembic target)."""

from synergia_shared.db import make_metadata

metadata = make_metadata()
