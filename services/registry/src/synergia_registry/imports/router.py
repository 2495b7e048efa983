"""HTTP for imports: authorise, stream the upload into the service, answer the report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from synergia_shared.http.auth import Principal, Role, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem, ProblemException
from synergia_shared.http.transactions import OwnTransactions

from synergia_registry.imports import service
from synergia_registry.imports.parser import CsvFormatError
from synergia_registry.imports.schemas import CordisImportReport
from synergia_registry.imports.uploads import FILE_FIELD, uploaded_file

router = APIRouter(prefix="/v1/imports", tags=["imports"], responses=PROBLEM_RESPONSES)

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

_SAMPLE = (
    "projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;"
    "street;postCode;city;country;nutsCode;geolocation;organizationURL;contactForm;"
    "contentUpdateDate;rcn;order;role;ecContribution;netEcContribution;totalCost;"
    "endOfParticipation;active\n"
    '731234;VALCHAIN;999912345;EL094259216;"Olympic Agri-Food Cluster";OAFC;false;OTH;'
    '"Kifisias 12; Building B";11526;Athens;EL;EL303;"37.99,23.78";www.oafc.gr;;'
    "2021-06-01 10:00:00;1234567;1;coordinator;512500,00;512500,00;512500.00;false;true\n"
)
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string", "format": "binary"},
            "example": _SAMPLE,
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FILE_FIELD],
                "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
            }
        },
    },
}


@router.post(
    "/cordis",
    operation_id="importCordisOrganisations",
    summary="Import a CORDIS Horizon 2020 organization.csv",
    description="Registers one actor per organisation of the file (organisationID, the PIC, "
    "links the two), or updates the actor already linked to it when a field the import "
    "sets changed. Send the file as the raw body (`Content-Type: text/csv`) or as "
    f"`multipart/form-data` in the field `{FILE_FIELD}`; it is read as it streams, "
    "`;`- or `,`-separated (found from the header), UTF-8 with or without a byte-order "
    "mark.\n\n"
    "Kind: HES → university, REC → research_organisation, PUB → public_authority, "
    "OTH → other, PRC → sme or large_enterprise by the SME flag (`other`, with a warning, "
    "when the flag is empty in every row). Rows of one organisation are merged, the latest "
    "`contentUpdateDate` winning. An invalid NUTS code (NUTS 2021; 2016 for the UK), VAT "
    "number or website is dropped with a warning; a row whose amounts, date, flag, "
    "country or PIC do not parse is rejected with the reason. Importing the same file "
    "again changes nothing and publishes nothing; every change publishes "
    "`eu.synergia.registry.actor.registered.v1` or `….actor.updated.v1`. Admins only.",
    response_model=CordisImportReport,
    responses={
        415: {"model": Problem, "description": "Neither text/csv nor multipart/form-data"},
        422: {"model": Problem, "description": "Not a CORDIS organization.csv at all"},
    },
    openapi_extra={"requestBody": REQUEST_BODY, **body_limit(BodyKind.UPLOAD)},
)
async def import_cordis(
    request: Request, _: Admin, sessions: OwnTransactions
) -> CordisImportReport:
    chunks = uploaded_file(request)
    try:
        return await service.import_cordis(sessions, chunks)
    except CsvFormatError as exc:
        raise ProblemException(
            422,
            "invalid-csv",
            "Not a CORDIS organization.csv",
            f"{exc}; nothing was imported",
            errors=[{"loc": ["body"], "msg": str(exc)}],
        ) from None
