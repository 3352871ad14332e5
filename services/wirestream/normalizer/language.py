"""Offline language detection for items.

py3langid costs ~100 µs per teaser, more than the rest of the normalizer together. Most wire
text says its language (Dutch, English, German, French, Spanish, Italian, Portuguese) in its
first few function words, so a function-word count decides the clear cases and py3langid
(restricted to the languages a European wire carries) only the rest. Teaser lists repeat on
every article page of a section, so decisions are cached by text.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache, lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"
LANGUAGES = ("nl", "en", "de", "fr", "es", "it", "pt", "pl", "sv", "da", "no", "ru", "uk", "tr")
_SAMPLE_CHARS = 300  # enough for a confident decision, bounded cost on long articles
_MIN_LETTERS = 12
_MIN_CONFIDENCE = 0.5
_CACHED_TEXTS = 8192

# Frequent words that belong to one language only (no "de", "en", "in", "die", "is", "was",
# "la", "il"); English counts Reuters' table words too ("Shr 45 cts vs 58 cts").
_WORDS_BY_LANGUAGE = {
    "nl": """het een van niet zijn voor met ook wordt naar bij door maar werd heeft hebben
        zich nog er dat deze dit meer uit wel geen tegen worden volgens zegt zou zouden op te
        aan onder hij waarbij toen omdat na om al wil moet kan""",
    "en": """the and of to that for with on are have has by from at it this said were which
        their after been not who would will about before into during than they he she his
        her its had but or says also while against
        shr dlrs dlr cts qtr qtly div""",
    "de": """der das und ist nicht mit sich auf dem den ein eine zu von wird auch für sind nach
        wurde hat aus dass im sagte einen einem bei wie noch nur über""",
    "fr": """les et des du une est qui dans pour pas sur au avec sont par ont été
        aux selon cette ces leur après""",
    "es": """el los las y por para según también fue sus desde este esta cuando muy hoy
        ha sido entre sobre pero más""",
    "it": """il della di che è sono per gli nel nella dei degli delle alla anche più stato
        dalla questo oggi ai alle ed""",
    "pt": """os em um uma não com é foi ao pelo pela nas à às também mais seu sua
        ser são está""",
}
_FAST_LANGUAGES = tuple(_WORDS_BY_LANGUAGE)
_FUNCTION_WORDS = {
    word: language for language, words in _WORDS_BY_LANGUAGE.items() for word in words.split()
}
_ENOUGH_LETTERS = re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{_MIN_LETTERS}}}")


def detect_language(text: str) -> str:
    """BCP 47 language code of `text`, or "und" when too short or unclear."""
    return _detect(text[:_SAMPLE_CHARS])


@lru_cache(maxsize=_CACHED_TEXTS)
def _detect(sample: str) -> str:
    if _ENOUGH_LETTERS.match(sample) is None:
        return UNDETERMINED
    tags = Counter(map(_FUNCTION_WORDS.get, sample.lower().split()))  # one pass, not seven
    counts = sorted(((tags[lang], lang) for lang in _FAST_LANGUAGES), reverse=True)
    (best_count, best), (second_count, _) = counts[0], counts[1]
    # Clear when one language has 3+ words and 3x the runner-up, or 2+ words and no rival.
    if (best_count >= 3 and best_count >= 3 * second_count) or (best_count >= 2 > second_count):
        return best
    language, confidence = _identifier().classify(sample)
    return language if confidence >= _MIN_CONFIDENCE else UNDETERMINED


def load_model() -> None:
    """Load the py3langid model now (~1 s) instead of on the first unclear text, so a
    service's first records or a benchmark's timing do not pay for it."""
    _identifier()


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier
