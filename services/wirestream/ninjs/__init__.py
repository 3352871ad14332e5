"""IPTC ninjs 3.x out: the mapping from normalized items and the stage writing `wire.ninjs`."""

from wirestream.ninjs.mapping import to_ninjs
from wirestream.ninjs.stage import NinjsWriter

__all__ = ["NinjsWriter", "to_ninjs"]
