"""What an authority system sends: one item per commitment, cost item or payment.

An item names the entries it refers to by the authority's own external ids (a payment's
commitment, a correction's target); the ledger derives entry ids from them, so an item
can refer to one that has not arrived yet (it is parked until it does).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from synergia_funding.amount_fields import plain_amount
from synergia_funding.amounts import EXAMPLE, SIGNED_AMOUNT_PATTERN
from synergia_funding.csv_dialect import InvalidValue, parse_amount, parse_date
from synergia_funding.ledger.entries import (
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)
from synergia_funding.ledger.rules import EARLIEST_ENTRY_DATE, implausible_date
from synergia_funding.reference.schemas import MemberState, NutsCode

MAX_BATCH_ITEMS = 1000

SPREADSHEET_CELLS = "spreadsheet_cells"
"""Validation context key: the item's values are CSV cells as a spreadsheet writes them,
so an amount may have a decimal comma and thousands separators
(:func:`synergia_funding.csv_dialect.parse_amount`, the ESIF import's rule) and a date
may be written day first with dots (:func:`synergia_funding.csv_dialect.parse_date`).
JSON and Kafka items keep plain decimals (:mod:`synergia_funding.amounts`, strings, never
JSON numbers) and ISO dates: a machine client has no locale to guess."""


def _spreadsheet_cell(
    parse: Callable[[str], Any], error_type: str
) -> Callable[[Any, ValidationInfo], Any]:
    """A before-validator reading a text value with ``parse`` when the values are
    spreadsheet cells (:data:`SPREADSHEET_CELLS`); other values go on unchanged."""

    def read(value: Any, info: ValidationInfo) -> Any:
        context = info.context
        if not (isinstance(value, str) and isinstance(context, Mapping)):
            return value
        if not context.get(SPREADSHEET_CELLS):
            return value
        try:
            return parse(value)
        except InvalidValue as exc:
            raise PydanticCustomError(error_type, "{reason}", {"reason": str(exc)}) from None

    return read


ExternalId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")]
Amount = Annotated[
    Decimal,
    BeforeValidator(plain_amount(signed=True)),
    BeforeValidator(_spreadsheet_cell(partial(parse_amount, signed=True), "amount_text")),
    # Digits and decimals are checked by the parsers above: pydantic's own max_digits and
    # decimal_places checks, run in Python for an annotated Decimal, cost more than the
    # rest of an item's validation.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SIGNED_AMOUNT_PATTERN,
            "examples": [EXAMPLE],
            "description": "EUR in plain decimal notation, as a string: digits 0-9, a "
            "decimal point and at most two decimals; positive, or a signed delta (leading "
            "-) for an adjustment. No exponent, +, _ or other scripts' digits, and no "
            "JSON number, on every channel (a CSV cell may also use the spreadsheet's "
            "decimal comma and thousands separators)",
        }
    ),
]
Day = Annotated[dt.date, BeforeValidator(_spreadsheet_cell(parse_date, "date_text"))]


class AuthorityEventIn(BaseModel):
    """One item of an authority's batch (the same fields in a CSV row or a Kafka message)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "external_id": "ITH3-2024-000017",
                    "kind": "commitment",
                    "beneficiary_id": "3f2b8f0e-51c4-4ab8-9d2e-6c9f0a4c1d11",
                    "source": "esif",
                    "fund": "ERDF",
                    "instrument_id": "2014IT16RFOP021",
                    "amount": "120000.00",
                    "date": "2024-03-01",
                    "region_nuts": "ITH35",
                    "is_de_minimis": True,
                },
                {
                    "external_id": "ITH3-PAY-000311",
                    "kind": "disbursement",
                    "beneficiary_id": "3f2b8f0e-51c4-4ab8-9d2e-6c9f0a4c1d11",
                    "source": "esif",
                    "fund": "ERDF",
                    "instrument_id": "2014IT16RFOP021",
                    "amount": "40000.00",
                    "date": "2024-06-15",
                    "region_nuts": "ITH35",
                    "commitment_external_id": "ITH3-2024-000017",
                },
            ]
        },
    )

    external_id: ExternalId = Field(description="The item's id in the authority's system")
    kind: EntryKind
    beneficiary_id: uuid.UUID = Field(description="The registry actor receiving the money")
    project_id: uuid.UUID | None = Field(
        default=None, description="The value chain / project, if the money is for one"
    )
    source: Source
    fund: EsifFund | None = Field(default=None, description="ESIF only")
    instrument_id: str | None = Field(
        default=None, max_length=100, description="CCI code, grant agreement number, …"
    )
    amount: Amount
    finance_type: FinanceType = FinanceType.GRANT
    date: Day = Field(
        description="Commitment: the date the legal right to the aid arises. From "
        f"{EARLIEST_ENTRY_DATE.isoformat()} (nothing tracked here predates it) to one year "
        "after today (UTC); a date outside is refused for the item as a typo"
    )
    region_nuts: NutsCode = Field(description="Where the operation is (NUTS 2021 or 2024)")
    member_state: MemberState | None = Field(
        default=None, description="Defaults to the region's country"
    )
    cost_item_ref: str | None = Field(default=None, min_length=1, max_length=200)
    commitment_external_id: ExternalId | None = Field(
        default=None, description="A payment's commitment, by the authority's id"
    )
    reverses_external_id: ExternalId | None = Field(
        default=None, description="Cancels the item with this id"
    )
    adjusts_external_id: ExternalId | None = Field(
        default=None, description="Changes the item with this id by ``amount`` (signed)"
    )
    is_de_minimis: bool = False
    aid_equivalent: Amount | None = Field(
        default=None, description="Gross grant equivalent of de minimis aid, if not the amount"
    )
    private_timing: PrivateTiming | None = None

    @field_validator("date")
    @classmethod
    def _plausible_date(cls, day: dt.date) -> dt.date:
        problem = implausible_date(day, today=dt.datetime.now(dt.UTC).date())
        if problem is not None:
            raise PydanticCustomError("implausible_date", "{reason}", {"reason": problem})
        return day

    @model_validator(mode="after")
    def _state_of_region(self) -> AuthorityEventIn:
        if self.member_state is None:
            self.member_state = self.region_nuts[:2]
        elif self.member_state != self.region_nuts[:2]:
            raise ValueError(
                f"member_state {self.member_state} does not match region {self.region_nuts}"
            )
        return self


class AuthorityBatchIn(BaseModel):
    """The batch as documented; the service validates the items one by one."""

    model_config = ConfigDict(extra="forbid")

    items: list[AuthorityEventIn] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


Status = Literal["applied", "parked", "rejected"]


class AuthorityItemProblem(BaseModel):
    """Why an item was refused: an RFC 9457 problem for the item alone."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class RuleFlagOut(BaseModel):
    rule: str
    severity: Literal["error", "flag"]
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ItemResult(BaseModel):
    index: int = Field(description="Position in the batch (CSV: the data line number)")
    external_id: str | None
    status: Status = Field(
        description="applied: recorded in the ledger; parked: waits for the entry it refers "
        "to and is applied when it arrives; rejected: not recorded (see problem)"
    )
    replayed: bool = Field(
        default=False, description="This external id was received before: its result stands"
    )
    entry_id: uuid.UUID | None = None
    waiting_for: list[str] = Field(
        default_factory=list, description="Parked: the external ids it waits for"
    )
    flags: list[RuleFlagOut] = Field(
        default_factory=list, description="Rule flags raised when it was recorded"
    )
    problem: AuthorityItemProblem | None = None


class BatchResult(BaseModel):
    authority: str
    applied: int
    parked: int
    rejected: int
    items: list[ItemResult]
