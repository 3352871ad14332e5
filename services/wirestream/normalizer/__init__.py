"""The normalizer: raw wire pages (text or HTML envelopes) into clean wire items."""

from wirestream.normalizer.stage import DEFAULT_MAX_BYTES, Normalizer
from wirestream.normalizer.text import decode_page

__all__ = ["DEFAULT_MAX_BYTES", "Normalizer", "decode_page"]
