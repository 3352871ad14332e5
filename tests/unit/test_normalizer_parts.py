"""The normalizer's parts on their own: datelines, times, text hygiene, HTML, page splitting,
language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wirestream.normalizer.dateline import DatelineDate, parse_dateline
from wirestream.normalizer.html import html_to_text
from wirestream.normalizer.language import detect_language
from wirestream.normalizer.page import split_page
from wirestream.normalizer.text import clean_lines, decode_page, repair_mojibake
from wirestream.normalizer.timeparse import resolve

FETCHED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)  # 13:00 in Amsterdam


@pytest.mark.parametrize(
    ("line", "raw", "place", "agencies", "rest"),
    [
        ("VLADIVOSTOK (ANP/RTR/AFP) - De leider", "VLADIVOSTOK", "Vladivostok",
         ("ANP", "RTR", "AFP"), "De leider"),
        ("NEW YORK (AP) — The city", "NEW YORK", "New York", ("AP",), "The city"),
        ("DEN HAAG (ANP) - Het kabinet", "DEN HAAG", "Den Haag", ("ANP",), "Het kabinet"),
        ("'S-HERTOGENBOSCH (ANP) - De rechter", "'S-HERTOGENBOSCH", "'s-Hertogenbosch",
         ("ANP",), "De rechter"),
        ("GENÈVE (ANP/AFP) - Nederland", "GENÈVE", "Genève", ("ANP", "AFP"), "Nederland"),
        ("BADEN-BADEN (DPA) - Die Stadt", "BADEN-BADEN", "Baden-Baden", ("DPA",), "Die Stadt"),
        ("NAIROBI (Reuters) - Kenya's", "NAIROBI", "Nairobi", ("Reuters",), "Kenya's"),
        ("AMSTERDAM - Bij een brand", "AMSTERDAM", "Amsterdam", (), "Bij een brand"),
        ("ST. PETERSBURG (RTR) - Het", "ST. PETERSBURG", "St. Petersburg", ("RTR",), "Het"),
        ("A CORUÑA (EFE) - El puerto", "A CORUÑA", "A Coruña", ("EFE",), "El puerto"),
        ("KANSAS CITY, Mo. (AP) — A tornado", "KANSAS CITY, Mo.", "Kansas City", ("AP",),
         "A tornado"),
        ("BRUSSEL (ANP / Belga) - De", "BRUSSEL", "Brussel", ("ANP", "Belga"), "De"),
        ("МОСКВА (ТАСС) - Текст", "МОСКВА", "Москва", ("ТАСС",), "Текст"),
    ],
)  # fmt: skip
def test_dateline_forms(line, raw, place, agencies, rest):
    parsed = parse_dateline(line)
    assert parsed is not None
    dateline, text = parsed
    assert (dateline.raw, dateline.display_place, dateline.agencies, text) == (
        raw, place, agencies, rest
    )  # fmt: skip
    assert dateline.date is None


@pytest.mark.parametrize(
    ("line", "raw", "date"),
    [
        ("WASHINGTON, March 9 (Reuters) - The", "WASHINGTON, March 9",
         DatelineDate(3, 9, None, False)),
        ("LONDON, Feb. 3, 2025 (AP) — The", "LONDON, Feb. 3, 2025",
         DatelineDate(2, 3, 2025, False)),
        ("DEN HAAG, 1 februari (ANP) - De", "DEN HAAG, 1 februari",
         DatelineDate(2, 1, None, True)),
    ],
)  # fmt: skip
def test_dateline_with_a_date(line, raw, date):
    dateline, _ = parse_dateline(line)
    assert dateline.raw == raw
    assert dateline.date == date


def test_routing_key_folds_accents_and_apostrophes():
    assert parse_dateline("GENÈVE (ANP) - x")[0].routing_key == "GENEVE"
    assert parse_dateline("’S-HERTOGENBOSCH (ANP) - x")[0].routing_key == "'S-HERTOGENBOSCH"
    assert parse_dateline("DEN HAAG - x")[0].routing_key == "DEN HAAG"


@pytest.mark.parametrize(
    "line",
    [
        "De man zei - na lang nadenken - ja.",  # no capitals
        "NAVO zegt dat de top doorgaat.",  # no dash
        "A (B) - een letter is geen plaats",
        "Die Regierung - hat beschlossen",  # a capitalised first word is no place
        "Rusland en Oekraïne zeggen - dat",
        "Mark Rutte (VVD) Zei iets",  # a party in brackets is no credit
        "(Adds quotes from the minister) LONDON",
        "PRECIOUS-Gold rises on weaker dollar",  # a Reuters slug is no place
        "- AMSTERDAM (ANP)",
        "AMSTERDAM (ANP) -",  # nothing after the dash
        "",
    ],
)
def test_not_a_dateline(line):
    assert parse_dateline(line) is None


@pytest.mark.parametrize(
    ("text", "published", "precision"),
    [
        ("35 minuten geleden", "2026-02-01T11:25:00+00:00", "minute"),
        ("1 minuut geleden", "2026-02-01T11:59:00+00:00", "minute"),
        ("5 uur geleden", "2026-02-01T07:00:00+00:00", "hour"),
        ("13 uur geleden", "2026-01-31T23:00:00+00:00", "hour"),
        ("2 hours ago", "2026-02-01T10:00:00+00:00", "hour"),
        ("an hour ago", "2026-02-01T11:00:00+00:00", "hour"),
        ("10 min ago", "2026-02-01T11:50:00+00:00", "minute"),
        ("zojuist", "2026-02-01T12:00:00+00:00", "minute"),
        # Dutch days are Amsterdam days: 31 January 00:00 CET = 30 January 23:00 UTC
        ("gisteren", "2026-01-30T23:00:00+00:00", "day"),
        ("eergisteren", "2026-01-29T23:00:00+00:00", "day"),
        ("2 dagen geleden", "2026-01-29T23:00:00+00:00", "day"),
        ("1 week geleden", "2026-01-24T23:00:00+00:00", "day"),
        ("yesterday", "2026-01-31T00:00:00+00:00", "day"),
        ("3 days ago", "2026-01-29T00:00:00+00:00", "day"),
        ("2026-02-01T09:30:00Z", "2026-02-01T09:30:00+00:00", "minute"),
        ("2026-02-01T10:30:00+01:00", "2026-02-01T09:30:00+00:00", "minute"),
        ("2026-01-31", "2026-01-31T00:00:00+00:00", "day"),
        ("09:15", "2026-02-01T08:15:00+00:00", "minute"),  # Amsterdam clock time, today
        ("14:35", "2026-01-31T13:35:00+00:00", "minute"),  # later than now: yesterday
    ],
)
def test_time_expressions(text, published, precision):
    instant, got_precision = resolve(text, None, FETCHED)
    assert instant.isoformat() == published
    assert got_precision == precision


def test_amsterdam_day_boundary_differs_from_utc():
    # 23:30 UTC on 31 January is already 1 February in Amsterdam.
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert resolve("gisteren", None, late)[0].isoformat() == "2026-01-30T23:00:00+00:00"
    assert resolve("yesterday", None, late)[0].isoformat() == "2026-01-30T00:00:00+00:00"


def test_dateline_dates_and_precedence():
    march = DatelineDate(3, 9, None, False)
    on_day = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
    assert resolve(None, march, on_day) == (datetime(2026, 3, 9, tzinfo=UTC), "day")
    # A date more than a day after the fetch is last year's.
    assert resolve(None, march, FETCHED) == (datetime(2025, 3, 9, tzinfo=UTC), "day")
    assert resolve(None, DatelineDate(2, 30, None, True), FETCHED) == (None, "none")
    # The relative time is more precise than the date in the dateline.
    assert resolve("2 hours ago", march, on_day)[1] == "hour"
    assert resolve(None, None, FETCHED) == (None, "none")
    assert resolve("niet een tijd", None, FETCHED) == (None, "none")


def test_decode_page_utf8_bom_latin1_cp1252_and_utf16():
    text = "Zürich, Genève en Oekraïne — “citaat” €5"
    assert decode_page(text.encode("utf-8")) == text
    assert decode_page(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_page(text.encode("cp1252")) == text
    latin = "Zürich, Genève en Oekraïne, café"
    assert decode_page(latin.encode("latin-1")) == latin
    assert decode_page(text.encode("utf-16")) == text
    russian = "Москва заявила, что переговоры продолжатся на следующей неделе." * 3
    assert decode_page(russian.encode("cp1251")) == russian


def test_decode_page_never_fails():
    assert isinstance(decode_page(bytes(range(256)) * 8), str)
    assert decode_page(b"") == ""


def test_mojibake_repair():
    assert repair_mojibake("OekraÃ¯ne") == "Oekraïne"
    assert repair_mojibake("cafÃ© in ZÃ¼rich") == "café in Zürich"
    assert repair_mojibake("Itâ€™s") == "It’s"
    clean = "Oekraïne, café, naïef, Ærø"
    assert repair_mojibake(clean) == clean


def test_clean_lines():
    text = " a\u00a0 b\t\tc \r\n\r\n\u200bd\u00ad e\x0bf\x00g\u2028h  \n   \n"
    assert clean_lines(text) == ["a b c", "d e", "fg", "h"]
    assert clean_lines("Gene\u0300ve") == ["Genève"]  # NFC


def test_html_to_text_blocks_entities_and_chrome():
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<nav>Menu</nav><p>voor de kop</p><header><h1>Kop &amp; staart</h1></header>"
        "<p>Een <b>vet</b>\n   woord<br>na een break</p><div>blok<p>in blok</p></div>"
        "<script>var x = '<p>';</script><aside>Advertentie</aside>"
        "<time datetime='2026-02-01T09:30:00Z'>2 uur geleden</time><time>5 uur geleden</time>"
        "<footer>Colofon</footer><!-- commentaar --></body></html>"
    )
    assert clean_lines(html_to_text(html)) == [
        "Kop & staart",
        "Een vet woord",
        "na een break",
        "blok",
        "in blok",
        "2026-02-01T09:30:00Z",
        "5 uur geleden",
    ]


def test_html_teaser_time_moves_after_its_teaser_text():
    html = (
        "<h1>Kop</h1><p>ROME (ANP) - Artikel.</p><h2>Meer uit Buitenland</h2><ul>"
        "<li><time datetime='2026-02-01T09:00:00Z'>3 uur geleden</time><h3>Eerste kop</h3>"
        "<p>MADRID (ANP) - Eerste teaser.</p></li>"
        "<li><p>LISSABON (ANP) - Tweede teaser.</p><time>5 uur geleden</time></li></ul>"
    )
    page = split_page(clean_lines(html_to_text(html)))
    assert [(t.headline, t.dateline.raw, t.time_text) for t in page.teasers] == [
        ("Eerste kop", "MADRID", "2026-02-01T09:00:00Z"),
        (None, "LISSABON", "5 uur geleden"),
    ]
    # Teasers not wrapped one by one (the <article> holds the <h1>, or several times): the
    # times stay where they are.
    flat = (
        "<article><h1>Kop</h1><p>ROME (ANP) - Artikel.</p><p>Meer uit Buitenland</p>"
        "<p>MADRID (ANP) - Eerste.</p><time>3 uur geleden</time>"
        "<p>LISSABON (ANP) - Tweede.</p><time>5 uur geleden</time></article>"
    )
    assert clean_lines(html_to_text(flat))[3:] == [
        "MADRID (ANP) - Eerste.",
        "3 uur geleden",
        "LISSABON (ANP) - Tweede.",
        "5 uur geleden",
    ]


def test_html_without_h1_keeps_everything():
    assert clean_lines(html_to_text("<p>AMSTERDAM - Tekst.</p><p>Meer.</p>")) == [
        "AMSTERDAM - Tekst.",
        "Meer.",
    ]


def test_page_split_article_subheadings_and_teasers():
    page = split_page(
        [
            "Kop van het artikel",
            "DEN HAAG (ANP) - Eerste alinea.",
            "Tussenkop",
            "Tweede alinea.",
            "Meer uit Binnenland",
            "Kop van een teaser",
            "UTRECHT (ANP) - Teaser met kop.",
            "2 uur geledenZWOLLE (ANP) - Teaser met een tijd erachter. 3 uur geleden",
            "Een tweede alinea van de teaser.",
            "Bekijk alle berichten",
        ]
    )
    assert page.section == "Binnenland"
    article = page.article
    assert article.headline == "Kop van het artikel"
    assert article.dateline.raw == "DEN HAAG"
    assert article.paragraphs == ["Eerste alinea.", "Tussenkop", "Tweede alinea."]
    assert article.subheadings == ["Tussenkop"]
    first, second = page.teasers
    assert (first.headline, first.paragraphs, first.time_text) == (
        "Kop van een teaser", ["Teaser met kop."], "2 uur geleden"
    )  # fmt: skip
    assert second.paragraphs == [
        "Teaser met een tijd erachter.",
        "Een tweede alinea van de teaser.",
    ]
    assert second.time_text == "3 uur geleden"


def test_page_split_time_alone_on_the_last_line_and_sentences_opening_with_time_words():
    page = split_page(
        [
            "More from World",
            "NAIROBI (Reuters) - Kenya approved the bill.",
            "yesterday",
            "ROME (AP) — Gisteren is not a time here.",
            "Yesterday was a long day for the city.",
            "3 days ago",
        ]
    )
    assert page.article is None
    assert page.section == "World"
    assert [(t.dateline.raw, t.time_text) for t in page.teasers] == [
        ("NAIROBI", "yesterday"),
        ("ROME", "3 days ago"),
    ]
    assert page.teasers[1].paragraphs == [
        "Gisteren is not a time here.",
        "Yesterday was a long day for the city.",
    ]


def test_page_split_bare_teaser_list_and_article_without_dateline():
    bare = split_page(["BERLIN (DPA) - Eins.", "1 uur geledenPARIS (AFP) - Deux.", "4 uur geleden"])
    assert bare.article is None and bare.section is None
    assert [t.time_text for t in bare.teasers] == ["1 uur geleden", "4 uur geleden"]
    no_dateline = split_page(["Kop", "Een alinea zonder dateline.", "Meer uit Sport", "ZEIST - X."])
    assert no_dateline.article.dateline is None
    assert no_dateline.article.paragraphs == ["Een alinea zonder dateline."]
    assert no_dateline.has_dateline
    headline_only = split_page(["Alleen een kop"])
    assert headline_only.article is None and not headline_only.has_dateline


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("De hoogste generaals van de Verenigde Staten hebben vrijdag overleg gevoerd in het "
         "Pentagon.", "nl"),
        ("The top generals of the United States met on Friday at the Pentagon amid rising "
         "tensions with Iran.", "en"),
        ("Die Bundesregierung hat sich nach langen Verhandlungen auf einen Haushalt geeinigt.",
         "de"),
        ("Le gouvernement a présenté mercredi un projet de loi sur les retraites.", "fr"),
        ("El gobierno español anunció elecciones anticipadas tras la derrota electoral.", "es"),
        ("Ja.", "und"),
        ("12345 67890 !!!", "und"),
    ],
)  # fmt: skip
def test_language(text, language):
    assert detect_language(text) == language
