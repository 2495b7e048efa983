from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import documents


@pytest.fixture(scope="session")
def generated() -> dict[Path, Any]:
    """Every contract file as the code generates it now (apps built, no database)."""
    return documents()
