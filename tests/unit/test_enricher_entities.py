"""People and organisations: rules and gazetteer, measured on a hand-labelled sample."""

from __future__ import annotations

import json

import pytest
from enricher_fixtures import FIXTURES, page_items, wire_item

from wirestream.enricher.entities import NamedEntities
from wirestream.enricher.text import ItemText


def entities(item: dict) -> dict[str, list[str]]:
    return NamedEntities().enrich(item, ItemText(item)).fields["entities"]


def precision_recall(items: list[dict]) -> tuple[float, float]:
    """Micro-averaged over people and organisations, exact canonical names per item."""
    found = correct = labelled = 0
    for item in items:
        got = entities(item)
        for kind in ("people", "organisations"):
            found += len(set(got[kind]))
            labelled += len(set(item[kind]))
            correct += len(set(got[kind]) & set(item[kind]))
    return correct / found, correct / labelled


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads((FIXTURES / "entities_labelled.json").read_text("utf-8"))


def test_labelled_sample_precision_and_recall(sample):
    assert len(sample["items"]) >= 20
    precision, recall = precision_recall(sample["items"])
    assert precision >= 0.9
    assert recall >= 0.9


def test_held_out_sample_precision_and_recall(sample):
    # Written after the rules were fixed; never tuned on. Misses are gazetteer gaps.
    precision, recall = precision_recall(sample["held_out"])
    assert precision >= 0.9
    assert recall >= 0.75


def test_the_fixture_main_article_names_kim_and_poetin():
    found = entities(page_items()[0])
    assert {"Kim Jong-un", "Vladimir Poetin", "Sergej Sjojgoe"} <= set(found["people"])
    assert {"Kremlin", "NATO"} <= set(found["organisations"])


def test_aliases_map_to_one_canonical_name_in_text_order():
    found = entities(wire_item("Poetin sprak met Kim Jong Un. Later zei Vladimir Putin niets."))
    assert found["people"] == ["Vladimir Poetin", "Kim Jong-un"]


def test_role_cues_and_given_names_find_unknown_people():
    found = entities(
        wire_item(
            "Wethouder Touria Meliani en burgemeester Femke Halsema van Amsterdam openden het "
            "museum. Ook Annemarie Jorritsma was er."
        )
    )
    assert found["people"] == ["Touria Meliani", "Femke Halsema"]  # Annemarie: no cue, unknown


def test_acronyms_are_case_sensitive_and_suffixes_make_organisations():
    found = entities(
        wire_item("Who knows? De WHO en de Nationale Bank werken samen met de NAVO en de VN.")
    )
    assert found["organisations"] == ["WHO", "Nationale Bank", "NATO", "United Nations"]


def test_country_words_and_sentence_starts_are_not_names():
    found = entities(wire_item("De Russische Federatie. Zeker 31 politiemensen. In Turijn."))
    assert found == {"people": [], "organisations": []}
