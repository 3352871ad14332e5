"""An item's text, folded and tokenized once and shared by every enricher in the chain.

Lookups everywhere use the same key, `core.folding.fold`, so a dictionary lookup replaces
per-item regexes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cached_property
from itertools import compress, count
from operator import itemgetter
from typing import Any, TypeVar

from wirestream.core.folding import strip_accents

T = TypeVar("T")

_WORD = re.compile(r"[^\W_]+")


class ItemText:
    """Headline and body of one item as tokens; derived views are computed on first use."""

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.headline: str = item.get("headline") or ""
        self.body: str = item.get("body_text") or ""
        headline_tokens = _WORD.findall(strip_accents(self.headline))
        self.headline_words = len(headline_tokens)
        self.raw_tokens: list[str] = headline_tokens + _WORD.findall(strip_accents(self.body))
        self._memo: dict[object, Any] = {}

    @cached_property
    def tokens(self) -> list[str]:
        """Folded tokens, parallel to `raw_tokens`."""
        tokens = " ".join(self.raw_tokens).casefold().split(" ")
        if len(tokens) != len(self.raw_tokens):  # a letter that folds to more than a letter
            tokens = [token.casefold() for token in self.raw_tokens]
        return tokens

    @cached_property
    def capitalised(self) -> list[int]:
        """Positions of the tokens that start with a capital: names and country words do."""
        first_letters = map(itemgetter(0), self.raw_tokens)
        return list(compress(count(), map(str.isupper, first_letters)))

    def memo(self, owner: object, compute: Callable[[ItemText], T]) -> T:
        """`compute(self)`, once per owner: the dateline enricher reuses the country scan."""
        if owner not in self._memo:
            self._memo[owner] = compute(self)
        return self._memo[owner]
