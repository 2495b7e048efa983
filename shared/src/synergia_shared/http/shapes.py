"""The shapes of codes, declared in the OpenAPI documents for clients to check early.

The services check more than the shape (a country code that exists, a NUTS code of the
version in the country): a value of another shape is refused there anyway, so declaring
the shape tells a client no more than what is enforced. Case is free, as the services
read codes case-insensitively (``gr``, ``ith5``).
"""

from __future__ import annotations

from typing import Any

COUNTRY_CODE_PATTERN = r"^[A-Za-z]{2}$"
NUTS_CODE_PATTERN = r"^[A-Za-z]{2}[A-Za-z0-9]{0,3}$"

COUNTRY_CODE: dict[str, Any] = {"pattern": COUNTRY_CODE_PATTERN}
NUTS_CODE: dict[str, Any] = {"pattern": NUTS_CODE_PATTERN}
