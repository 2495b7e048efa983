"""The answer of an import: what it did, and what it could not do and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ImportRejection(BaseModel):
    line: int = Field(description="Line of the file (the header is line 1)")
    organisation_id: str | None = Field(description="organisationID, when the row had one")
    reason: str


class ImportWarning(BaseModel):
    line: int = Field(description="The line the value came from")
    organisation_id: str
    field: str = Field(description="The column of organization.csv")
    message: str


class CordisImportReport(BaseModel):
    """Counts of rows and organisations, with each rejection and warning.

    ``created + updated + unchanged + organisations_rejected == organisations``; every row
    is accepted or rejected. The lists hold at most ``listing_limit`` entries each; the
    totals count them all.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows_read": 30,
                    "rows_accepted": 29,
                    "rows_rejected": 1,
                    "organisations": 14,
                    "created": 14,
                    "updated": 0,
                    "unchanged": 0,
                    "organisations_rejected": 0,
                    "rejections_total": 1,
                    "rejections_by_reason": {
                        "ecContribution: '…' is not an amount (digits with one decimal , or .)": 1
                    },
                    "rejections": [
                        {
                            "line": 27,
                            "organisation_id": "999912352",
                            "reason": "ecContribution: '12,5,0' is not an amount (digits "
                            "with one decimal , or .)",
                        }
                    ],
                    "warnings_total": 1,
                    "warnings": [
                        {
                            "line": 12,
                            "organisation_id": "999912349",
                            "field": "vatNumber",
                            "message": "vatNumber 'FR00000000000' dropped: VAT number "
                            "'FR00000000000' is not valid in France (FR): its check digit "
                            "is wrong",
                        }
                    ],
                    "listing_limit": 1000,
                }
            ]
        }
    )

    rows_read: int = Field(description="Data rows in the file (the header not counted)")
    rows_accepted: int
    rows_rejected: int = Field(
        description="Rows not imported: unreadable, or of an organisation rejected whole"
    )
    organisations: int = Field(description="Distinct organisations (organisationID) accepted")
    created: int = Field(description="New actors registered")
    updated: int = Field(description="Actors whose imported fields changed")
    unchanged: int = Field(
        description="Actors already holding what the file says (or deactivated: left as they "
        "are, with a warning)"
    )
    organisations_rejected: int = Field(
        description="Organisations that could not be applied (e.g. their PIC is held by "
        "another actor); each is listed in `rejections`"
    )
    rejections_total: int
    rejections: list[ImportRejection]
    rejections_by_reason: dict[str, int] = Field(
        description="Every rejection counted by its reason, the values it quoted left out "
        "(`'…' is not an amount`), most frequent first; at most 100 reasons, the rest "
        "counted under `other reasons`. Values echoed in the lists are cut at 200 "
        "characters (500 for a reason) with a marker giving their length."
    )
    warnings_total: int
    warnings: list[ImportWarning] = Field(
        description="Values dropped or defaults chosen; the organisation was imported"
    )
    listing_limit: int
