"""Countries mentioned: Dutch and English names, adjectives and demonyms, by lookups."""

from __future__ import annotations

import pytest
from enricher_fixtures import page_items, wire_item

from wirestream.enricher.countries import CountryMentions, inflections
from wirestream.enricher.text import ItemText


def countries(body: str, headline: str | None = None) -> list[str]:
    item = wire_item(body, headline=headline)
    return CountryMentions().enrich(item, ItemText(item)).fields["countries"]


def test_the_fixture_main_article_mentions_russia_north_korea_and_ukraine():
    main = page_items()[0]
    assert {"RU", "KP", "UA"} <= set(
        CountryMentions().enrich(main, ItemText(main)).fields["countries"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("De Oekraïense regering en Russische media.", ["RU", "UA"]),
        ("De Noord-Koreaanse leider reisde af.", ["KP"]),
        ("Zuid-Koreaanse bedrijven investeren.", ["KR"]),
        ("De Zwitserse justitie en een Zwitser.", ["CH"]),
        ("Generaals uit Israël en de Verenigde Staten.", ["IL", "US"]),
        ("Twee Amerikaanse functionarissen.", ["US"]),
        ("Chinese en Portugese diplomaten.", ["CN", "PT"]),
        ("The Ukrainian army and North Korean troops.", ["KP", "UA"]),
        ("Talks between the United Kingdom and Saudi Arabia.", ["GB", "SA"]),
        ("De VS en de VAE tekenen een akkoord.", ["AE", "US"]),
        ("Saoedi-Arabië en Zuid-Afrika.", ["SA", "ZA"]),
    ],
)
def test_names_adjectives_and_demonyms(text, expected):
    assert countries(text) == expected


def test_headline_counts_and_output_is_sorted_and_unique():
    assert countries("In Duitsland en Oostenrijk.", headline="Duitse en Belgische ministers") == [
        "AT",
        "BE",
        "DE",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Latijns-Amerikaanse landen en Zuid-Amerika.",  # a continent, not the US
        "Frans Timmermans sprak in de Kamer.",  # a given name, not France
        "He told us the pools were closed and the china was broken.",  # lower case words
    ],
)
def test_regions_given_names_and_common_words_are_not_countries(text):
    assert countries(text) == []


def test_a_country_adjective_before_another_country_word_still_counts():
    assert countries("Een Frans-Duitse brigade.") == ["DE", "FR"]


def test_dutch_inflections():
    assert inflections("russisch") == ["russisch", "russische"]
    assert inflections("chinees") == ["chinees", "chinese"]
    assert inflections("zwitsers") == ["zwitsers", "zwitserse"]
    assert inflections("israel") == ["israel"]
