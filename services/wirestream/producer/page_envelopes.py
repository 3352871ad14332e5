"""Raw envelopes (schemas/raw-envelope.v1.json) built from scraped pages.

What makes an envelope valid is the raw-envelope contract's to say (`wirestream.core.envelope`):
the producer checks input envelopes with the same parser, so both agree by construction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NotRequired, TypedDict

from wirestream.core.envelope import format_rfc3339
from wirestream.core.media import MEDIA_TYPE_OF_FORMAT
from wirestream.normalizer.formats import FormatError, sniff_format, split_document
from wirestream.normalizer.text import decode_page

# Markup near the top of a page (after an XML prolog or a comment, too) makes it HTML.
_HTML_MARKER = re.compile(r"<(?:!doctype html|html|head|body|div|p[ >]|article)", re.I)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


class RawEnvelope(TypedDict):
    source: str
    fetched_at: str  # RFC 3339
    content_type: str  # text/plain | text/html | an agency format's media type
    body: str
    url: NotRequired[str | None]
    id: NotRequired[str | None]


def sniff_content_type(name: str, text: str) -> str:
    """`text/html` for .htm(l) files or text with markup near its top, else `text/plain`."""
    if name.lower().endswith(_HTML_SUFFIXES) or _HTML_MARKER.search(text, 0, 1024):
        return "text/html"
    return "text/plain"


def page_envelope(
    text: str, *, source: str, fetched_at: datetime, name: str, page_id: str | None = None
) -> RawEnvelope:
    """The envelope of one scraped page; `name` (the file name) hints at its content type."""
    envelope = RawEnvelope(
        source=source,
        fetched_at=format_rfc3339(fetched_at),
        content_type=sniff_content_type(name, text),
        body=text,
    )
    if page_id is not None:
        envelope["id"] = page_id
    return envelope


def file_envelopes(
    data: bytes, *, source: str, fetched_at: datetime, name: str, file_id: str | None = None
) -> list[RawEnvelope]:
    """A file's envelopes: one per item of an agency document (a G2 newsMessage, a feed, an
    ANPA or IPTC 7901 file, a ninjs array), in order; otherwise the file is one page. A
    document that cannot be split goes on whole, for the normalizer to dead-letter with its
    reason and bytes."""
    text = decode_page(data)
    format_name = sniff_format(text, name)
    if format_name is None:
        return [
            page_envelope(text, source=source, fetched_at=fetched_at, name=name, page_id=file_id)
        ]
    try:
        documents = split_document(format_name, data)
    except FormatError:
        documents = [text]
    fetched = format_rfc3339(fetched_at)
    media_type = MEDIA_TYPE_OF_FORMAT[format_name]
    envelopes = []
    for number, document in enumerate(documents):
        envelope = RawEnvelope(
            source=source, fetched_at=fetched, content_type=media_type, body=document
        )
        if file_id is not None:
            envelope["id"] = file_id if len(documents) == 1 else f"{file_id}#{number}"
        envelopes.append(envelope)
    return envelopes
