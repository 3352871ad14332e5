"""Media types a raw envelope may carry (`content_type`), and the agency format each names."""

from __future__ import annotations

PAGE_TYPES = ("text/plain", "text/html")
# The agency formats' media types; ANPA 1312 has no registered one, hence the `x-` type.
FORMAT_MEDIA_TYPES: dict[str, str] = {
    "application/vnd.iptc.g2.newsitem+xml": "newsml-g2",
    "application/vnd.iptc.g2.newsmessage+xml": "newsml-g2",
    "application/vnd.iptc.g2.packageitem+xml": "newsml-g2",
    "application/nitf+xml": "nitf",
    "text/vnd.iptc.7901": "iptc7901",
    "text/x-anpa-1312": "anpa1312",
    "application/vnd.iptc.ninjs+json": "ninjs",
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
}
# The media type the producer writes for each format.
MEDIA_TYPE_OF_FORMAT: dict[str, str] = {
    "newsml-g2": "application/vnd.iptc.g2.newsitem+xml",
    "nitf": "application/nitf+xml",
    "iptc7901": "text/vnd.iptc.7901",
    "anpa1312": "text/x-anpa-1312",
    "ninjs": "application/vnd.iptc.ninjs+json",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}
# Text formats framed by control characters (SOH, STX, ETX, SYN): not binary for having them.
FRAMED_TYPES = ("text/vnd.iptc.7901", "text/x-anpa-1312")
# Generic types whose format is sniffed from the body.
SNIFFED_TYPES = ("application/xml", "text/xml", "application/json")
CONTENT_TYPES = (*PAGE_TYPES, *FORMAT_MEDIA_TYPES, *SNIFFED_TYPES)
