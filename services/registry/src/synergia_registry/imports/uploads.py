"""The uploaded file as a stream of bytes, straight from the request body.

Two ways to send a file: the raw body (``Content-Type: text/csv``), or a browser form
(``multipart/form-data`` with the file in the ``file`` field). Either way the body is read
chunk by chunk as it arrives (``request.stream()``): a multipart body goes through the
streaming parser of ``python-multipart`` and only the ``file`` part's bytes come out.
Nothing is spooled to memory or disk first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from synergia_shared.http.problems import ProblemException

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
MULTIPART = "multipart/form-data"
FILE_FIELD = "file"


def _invalid_body(detail: str) -> ProblemException:
    return ProblemException(
        422,
        "invalid-upload",
        "The upload cannot be read",
        detail,
        errors=[{"loc": ["body"], "msg": detail}],
    )


def uploaded_file(request: Request) -> AsyncIterator[bytes]:
    """The bytes of the uploaded file, as they arrive; 415 for another media type."""
    media_type, params = parse_options_header(request.headers.get("content-type"))
    kind = media_type.decode("latin-1").lower()
    if kind in CSV_MEDIA_TYPES:
        return request.stream()
    if kind == MULTIPART:
        boundary = params.get(b"boundary")
        if not boundary:
            raise _invalid_body("the multipart/form-data body has no boundary")
        return multipart_field(request.stream(), boundary, FILE_FIELD)
    raise ProblemException(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        f"send the file as text/csv, or as multipart/form-data in the field "
        f"{FILE_FIELD!r}; got {kind or 'no Content-Type'}",
    )


async def multipart_field(
    body: AsyncIterator[bytes], boundary: bytes, name: str
) -> AsyncIterator[bytes]:
    """The content of the first part named ``name`` of a multipart body, as it streams."""
    out: list[bytes] = []
    header_field, header_value = bytearray(), bytearray()
    headers: dict[bytes, bytes] = {}
    state = {"in_field": False, "found": False}

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition"))
        wanted = disposition.get(b"name") == name.encode() and not state["found"]
        state["in_field"] = wanted
        state["found"] = state["found"] or wanted

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_field"]:
            out.append(data[start:end])

    def on_part_end() -> None:
        state["in_field"] = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    async for chunk in body:
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            raise _invalid_body(f"malformed multipart/form-data body: {exc}") from None
        if out:
            yield b"".join(out)
            out.clear()
    parser.finalize()
    if not state["found"]:
        raise _invalid_body(f"the form has no field {name!r} holding the file")
