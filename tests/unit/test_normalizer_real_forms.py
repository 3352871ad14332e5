"""Issue 12: the normalizer on the forms real agency copy takes. Each line is quoted from real
copy (its lead cut short): the corpus items named in the comments (tests/fixtures/real/,
provenance and licence in its README) or the issue's own quotes of AP, Reuters and Kyodo copy.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from wirestream.core.records import DeadLetter, Emit, Origin, Reason
from wirestream.normalizer import Normalizer
from wirestream.normalizer.dateline import DatelineDate, parse_opening, qualified_by_text
from wirestream.normalizer.language import detect_language
from wirestream.normalizer.timeparse import resolve
from wirestream.normalizer.wirecopy import headline_slug, housekeeping, is_figures

FETCHED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "raw", "place", "qualifiers", "agencies", "text"),
    [
        # de-dpa-gruenen-spitze-ruecktritt, de-dpa-baum-bahnstrecke-peine
        ("Berlin (dpa) - Die Grünen-Spitze zieht", "Berlin", "Berlin", (), ("dpa",),
         "Die Grünen-Spitze zieht"),
        ("Peine (dpa/lni) - Ein umgestürzter Baum", "Peine", "Peine", (), ("dpa", "lni"),
         "Ein umgestürzter Baum"),
        # de-dpa-israel-vororte-beirut: two places
        ("Tel Aviv/Beirut (dpa) - Die südlichen Vororte", "Tel Aviv/Beirut", "Tel Aviv/Beirut",
         (), ("dpa",), "Die südlichen Vororte"),
        # en-ap-heat-beat-hawks, en-ap-ethanol-prairies-vanish: AP's ` _ ` and a state
        ("ATLANTA (AP) _ Luol Deng scored", "ATLANTA", "Atlanta", (), ("AP",), "Luol Deng scored"),
        ("ROSCOE, South Dakota (AP) _ Robert Malsam", "ROSCOE, South Dakota", "Roscoe",
         ("South Dakota",), ("AP",), "Robert Malsam"),
        # the AP quotes
        ("BUFFALO, N.Y. (AP) — A man", "BUFFALO, N.Y.", "Buffalo", ("N.Y.",), ("AP",), "A man"),
        ("GROSSETO, Italy (AP) -- The captain", "GROSSETO, Italy", "Grosseto", ("Italy",),
         ("AP",), "The captain"),
        # en-kyodo-urawa-emperors-cup: the agency named after the date, no brackets
        ("SAITAMA, Japan, Dec. 9 Kyodo - Urawa Reds claimed", "SAITAMA, Japan, Dec. 9", "Saitama",
         ("Japan",), ("Kyodo",), "Urawa Reds claimed"),
        # en-tass-kremlin-eu-sanctions: /TASS/. and no dash
        ("MOSCOW, January 21. /TASS/. The Kremlin does not", "MOSCOW, January 21.", "Moscow", (),
         ("TASS",), "The Kremlin does not"),
        # it-ansa-autobomba-kabul, it-ansa-samuel-morto-gubbio: the agency first, a province
        ("(ANSA) - ROMA, 08 MAG - Il bilancio", "ROMA, 08 MAG", "Roma", (), ("ANSA",),
         "Il bilancio"),
        ("(ANSA) - GUBBIO (PERUGIA), 08 MAG - Si è trovato", "GUBBIO (PERUGIA), 08 MAG", "Gubbio",
         ("PERUGIA",), ("ANSA",), "Si è trovato"),
        # es-efe-leones-zoologico-india: EFE's `.-`
        ("Nueva Delhi, 21 ene (EFE).- Una pareja", "Nueva Delhi, 21 ene", "Nueva Delhi", (),
         ("EFE",), "Una pareja"),
        # es-prensalatina-*: no dash after the credit
        ("Camagüey, Cuba, 5 ene (Prensa Latina) Académicos y científico",
         "Camagüey, Cuba, 5 ene", "Camagüey", ("Cuba",), ("Prensa Latina",),
         "Académicos y científico"),
        # fr-ats-gilets-jaunes-le-maire: agencies listed with a space, no dash
        ("Paris (ats afp) Les violences", "Paris", "Paris", (), ("ats", "afp"), "Les violences"),
        # it-adnkronos-governo-ciampi-struttura: the credit glued to the date
        ("Roma, 27 apr.(adnkronos)- Mentre dall'estero", "Roma, 27 apr.", "Roma", (),
         ("adnkronos",), "Mentre dall'estero"),
        # pt-lusa-porto-canal-fc-porto-programas
        ("Porto, 31 jul (Lusa) -- A nova fase", "Porto, 31 jul", "Porto", (), ("Lusa",),
         "A nova fase"),
        # es-europapress-netanyahu-tpi
        ("MADRID, 21 Nov. 2024 (Europa Press) - El primer ministro", "MADRID, 21 Nov. 2024",
         "Madrid", (), ("Europa Press",), "El primer ministro"),
        # en-reuters21578-36, -997, -93: a state without comma, "Marc", a glued dash
        ("RICHMOND, Va. Feb 26 - Qtly div", "RICHMOND, Va. Feb 26", "Richmond", ("Va.",), (),
         "Qtly div"),
        ("ALBANY, N.Y., Marc 3 - KeyCorp said", "ALBANY, N.Y., Marc 3", "Albany", ("N.Y.",), (),
         "KeyCorp said"),
        ("MONTREAL, Feb 26- Shr 1.11 dlrs", "MONTREAL, Feb 26", "Montreal", (), (),
         "Shr 1.11 dlrs"),
        # en-reuters21578-146: a mixed-case place vouched for by its date
        ("Toronto, Feb 26 - Two-for-one stock split", "Toronto, Feb 26", "Toronto", (), (),
         "Two-for-one stock split"),
        # nl-levensmiddelenkrant-cbs-inflatie-maart: an en dash
        ("DEN HAAG – In maart waren consumenten", "DEN HAAG", "Den Haag", (), (),
         "In maart waren consumenten"),
    ],
)  # fmt: skip
def test_real_dateline_forms(line, raw, place, qualifiers, agencies, text):
    opening = parse_opening(line)
    assert opening is not None
    dateline = opening.dateline
    assert (dateline.raw, dateline.display_place, dateline.qualifiers) == (raw, place, qualifiers)
    assert (opening.agencies, opening.text) == (agencies, text)


@pytest.mark.parametrize(
    ("line", "agencies", "date", "text"),
    [
        ("(AP) — The city", ("AP",), None, "The city"),
        # fr-belga-budget-federal-comite-restreint
        ("(Belga) Les principaux ministres", ("Belga",), None, "Les principaux ministres"),
        # Reuters' place-less form (issue 12)
        ("Jan 30 (Reuters) - Gold rose", ("Reuters",), DatelineDate(1, 30, None, False),
         "Gold rose"),
    ],
)  # fmt: skip
def test_credit_without_a_place(line, agencies, date, text):
    opening = parse_opening(line)
    assert opening is not None and opening.dateline is None
    assert (opening.agencies, opening.date, opening.text) == (agencies, date, text)


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("Feb 26", DatelineDate(2, 26, None, False)),
        ("Dec. 9", DatelineDate(12, 9, None, False)),
        ("JUL 11", DatelineDate(7, 11, None, False)),
        ("January 21.", DatelineDate(1, 21, None, False)),
        ("March 9, 2026", DatelineDate(3, 9, 2026, False)),
        ("9 maart", DatelineDate(3, 9, None, True)),
        ("9. März", DatelineDate(3, 9, None, True)),
        ("9 mars", DatelineDate(3, 9, None, True)),
        ("21 ene", DatelineDate(1, 21, None, True)),
        ("08 MAG", DatelineDate(5, 8, None, True)),
        ("21 jan 2019", DatelineDate(1, 21, 2019, False)),
    ],
)
def test_dateline_dates_in_every_common_form(written, date):
    opening = parse_opening(f"PARIS, {written} (AFP) - Le texte")
    assert opening is not None and opening.date == date


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("vor 5 Stunden", "2026-02-01T07:00:00+00:00"),
        ("il y a 5 heures", "2026-02-01T07:00:00+00:00"),
        ("hace 5 horas", "2026-02-01T07:00:00+00:00"),
        ("5 ore fa", "2026-02-01T07:00:00+00:00"),
        ("há 5 horas", "2026-02-01T07:00:00+00:00"),
        ("vor einer Stunde", "2026-02-01T11:00:00+00:00"),
        ("gestern", "2026-01-30T23:00:00+00:00"),
        ("ieri", "2026-01-30T23:00:00+00:00"),
    ],
)
def test_relative_times_in_the_wires_languages(text, published):
    instant, _ = resolve(text, None, FETCHED)
    assert instant is not None and instant.isoformat() == published


@pytest.mark.parametrize(
    ("headline", "slug", "rest"),
    [
        ("PRECIOUS-Gold rises on weaker dollar", "PRECIOUS", "Gold rises on weaker dollar"),
        ("UPDATE 2-GLOBAL MARKETS-Asian shares rise", "UPDATE 2-GLOBAL MARKETS",
         "Asian shares rise"),
        ("CORRECTED-Fed holds rates", "CORRECTED", "Fed holds rates"),
        ("EXCLUSIVE-Oil firms plan cuts", "EXCLUSIVE", "Oil firms plan cuts"),
        # es-europapress-netanyahu-tpi
        ("AMP.- O.Próximo.- Netanyahu acusa al TPI", "AMP.- O.Próximo.-",
         "Netanyahu acusa al TPI"),
        # en-reuters21578-14: an all-caps headline is one name, no slug
        ("BROWN-FORMAN INC <BFD> 4TH QTR NET", None, "BROWN-FORMAN INC <BFD> 4TH QTR NET"),
        ("EU-Gipfel: Einigung in Brüssel", None, "EU-Gipfel: Einigung in Brüssel"),
    ],
)  # fmt: skip
def test_headline_slugs_are_metadata(headline, slug, rest):
    assert headline_slug(headline) == (slug, rest)


@pytest.mark.parametrize(
    ("line", "note", "agencies"),
    [
        ("(Adds Gov. Cuomo's announcement in paragraph 3)", True, ()),
        ("(Updates with closing prices)", True, ()),
        ("Editing by Jane Doe", True, ()),
        ("Reuter", False, ("Reuters",)),  # en-reuters21578-*
        ("(ANSA).", False, ("ANSA",)),
        ("Lusa/Fim", False, ("Lusa",)),  # pt-lusa-conselho-ministros-extraordinario
        ("axm/ch/jm", False, ()),  # en-afp-maduro-alert
        ("___", False, ()),
        ("-0-", False, ()),
    ],
)
def test_housekeeping_lines(line, note, agencies):
    assert housekeeping(line) == (note, agencies)


@pytest.mark.parametrize("line", ["Fakten", "Bewertung", "Die Regierung hat beschlossen."])
def test_story_lines_are_no_housekeeping(line):
    assert housekeeping(line) is None


def test_tables_of_figures_are_no_subheadings():
    assert is_figures("Oper net 13.5 mln vs 14.6 mln")
    assert is_figures("Net 44,092,000 vs 35,145,000")
    assert is_figures("Revs 22.5 mln 20.1 mln")
    assert not is_figures("Stikstof")
    assert not is_figures("Herinneringen aan 2020")  # a sub-heading with a year


def _process(body: str) -> list:
    envelope = {"source": "t", "fetched_at": "2026-02-01T12:00:00Z",
                "content_type": "text/plain", "body": body}  # fmt: skip
    return Normalizer().process(orjson.dumps(envelope), Origin())


def test_editors_notes_and_sign_offs_leave_the_text_and_credit_the_agency():
    body = (
        "UPDATE 1-Gold rises on weaker dollar\n"
        "(Adds analyst quote in paragraph 2)\n"
        "LONDON, Jan 30 - Gold rose on Thursday as the dollar weakened against the euro.\n"
        "Analysts expect further gains in the coming weeks, traders said.\n"
        "Reporting by Jane Doe; Editing by John Roe\n"
        "Reuter\n"
    )
    (outcome,) = _process(body)
    item = outcome.item
    assert item["headline"] == "Gold rises on weaker dollar" and item["slug"] == "UPDATE 1"
    assert item["editors_notes"] == [
        "(Adds analyst quote in paragraph 2)",
        "Reporting by Jane Doe; Editing by John Roe",
    ]
    assert "Adds" not in item["body_text"] and "Reuter" not in item["body_text"]
    assert item["body_text"].startswith("Gold rose on Thursday")
    assert [a["code"] for a in item["agencies"]] == ["Reuters"]  # from the sign-off
    assert item["published_at"] == "2026-01-30T00:00:00Z"  # the dateline's day


def test_an_article_without_a_dateline_is_news():
    # fr-belga-francken-verviers-annulee (opening sentence)
    body = (
        "La conférence de Theo Francken à Verviers est annulée\n"
        "La conférence du député et ex-secrétaire d'Etat à l'Asile et à la Migration, Theo "
        "Francken (N-VA), à Verviers est annulée, a-t-il annoncé sur Twitter.\n"
    )
    (outcome,) = _process(body)
    assert isinstance(outcome, Emit)
    assert outcome.item["dateline"] is None and outcome.item["language"] == "fr"
    assert outcome.item["routing_key"].startswith("~")  # routed by its lead, as documented


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("We value your privacy\nWe use cookies to improve your experience. Click Accept.\n"
         "Accept all\nManage settings", "cookie wall"),
        ("Seite nicht gefunden\nFehler 404", "error page"),
        ("Inloggen\nVul je e-mailadres en wachtwoord in om verder te lezen.", "login page"),
        ("Nieuws\nHome\nSport", "empty shell"),
    ],
)  # fmt: skip
def test_pages_that_are_no_article_are_dead_lettered_by_what_they_are(body, kind):
    (letter,) = _process(body)
    assert isinstance(letter, DeadLetter)
    assert letter.reason is Reason.NOT_AN_ARTICLE
    assert kind in letter.message


def test_a_small_place_takes_the_region_the_lead_gives_it():
    # nl-anp-teaser-rockanje-woningbrand
    opening = parse_opening("ROCKANJE (ANP) - De grote woningbrand in Rockanje (Zuid-Holland) is")
    dateline = qualified_by_text(opening.dateline, opening.text)
    assert dateline.qualifiers == ("Zuid-Holland",)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # es-prensalatina-cuba-turismo-eeuu, it-ansa-casa-cantautori-genova,
        # pt-lusa-porto-canal-fc-porto-programas, en-reuters21578-14 (a table of figures)
        ("El canciller de Cuba, Bruno Rodríguez, denunció hoy las acciones del Gobierno de "
         "Estados Unidos dirigidas a", "es"),
        ("Proprio oggi, proprio nel giorno in cui la musica, l'arte e la cultura piangono la "
         "scomparsa di Franco Battiato", "it"),
        ("A nova fase do Porto Canal sob gestão do FC Porto arranca esta segunda-feira com o "
         "começo de dois programas", "pt"),
        ("Shr one dlr vs 73 cts\n\nNet 12.6 mln vs 15.8 mln", "en"),
    ],
)  # fmt: skip
def test_language_of_the_wires_languages(text, language):
    assert detect_language(text) == language


def test_teaser_lists_in_asides_and_related_boxes_stay_teasers_and_ads_go():
    html = (
        "<html><body><nav>Home</nav><article><h1>Kop van het artikel</h1>"
        "<p>ROME (ANP) - Het artikel gaat over iets dat gisteren in Rome gebeurde.</p></article>"
        "<aside class=ad><p>Advertentie</p></aside>"
        "<div class='related-news'><h2>Meer uit Buitenland</h2>"
        "<div class=item><p>BERLIJN (ANP) - Derde.</p></div></div>"
        "<aside><ul><li><p>MADRID (ANP) - Eerste teaser.</p>"
        "<time datetime='2026-02-01T09:00:00Z'>3 uur geleden</time></li>"
        "<li><p>PARIJS (ANP/AFP) - Tweede teaser.</p></li></ul></aside>"
        "<footer><p>LONDEN (ANP) - Geen nieuws.</p></footer></body></html>"
    )
    envelope = {"source": "t", "fetched_at": "2026-02-01T12:00:00Z",
                "content_type": "text/html", "body": html}  # fmt: skip
    items = [o.item for o in Normalizer().process(orjson.dumps(envelope), Origin())]
    assert [(i["kind"], i["dateline"]["raw"], i["headline"]) for i in items] == [
        ("article", "ROME", "Kop van het artikel"),
        ("teaser", "BERLIJN", None),
        ("teaser", "MADRID", None),
        ("teaser", "PARIJS", None),
    ]
    assert items[2]["published_at"] == "2026-02-01T09:00:00Z"  # from <time datetime>
    assert all("Advertentie" not in i["body_text"] for i in items)


def test_an_article_opening_with_an_editors_note_still_updates_its_teaser():
    from wirestream.deduplicator import Deduplicator

    lead = (
        "Gold rose on Thursday as the dollar weakened against the euro and investors sought "
        "safety after a week of losses on world stock markets."
    )
    teaser_page = f"Markets\nLONDON, Jan 30 (Reuters) - {lead}\n2 hours ago\n"
    article_page = (
        "UPDATE 1-Gold rises on weaker dollar\n"
        "(Adds analyst quote in paragraph 2)\n"
        f"LONDON, Jan 30 (Reuters) - {lead}\n"
        "Analysts expect further gains in the coming weeks, traders in London said.\n"
        "Reporting by Jane Doe; Editing by John Roe\n"
    )
    dedup = Deduplicator()
    decisions = []
    for body in (teaser_page, article_page):
        for outcome in _process(body):
            (decided,) = dedup.process(outcome.item, Origin(topic="wire.items", partition=0))
            decisions.append(decided.item["dedup"]["status"])
    assert decisions == ["new", "update"]
