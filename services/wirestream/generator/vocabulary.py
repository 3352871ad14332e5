"""Word lists and sentence templates the generator builds stories from, in Dutch and English.

Templates are `str.format_map` strings over a story's cast (`person`, `role`, `adj`, `city`,
`country`, `org`, `thing`, `day`, `person2`) and per-sentence numbers (`n`, `m`); `{Name}`
capitalizes the slot. A lead sentence is composed of a core clause, an optional extension and
an optional attribution, so two stories of the same kind share fragments but rarely a whole
sentence; the `boilerplate` sentences are shared on purpose (near-miss stories repeat them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    dateline: str  # as written in a dateline: all caps, exonym of the page's language
    name: str  # as written in running text
    adj: str  # country adjective ("Oekraïense", "Ukrainian")
    country: str  # country name in running text
    # Other spellings of the same city in a dateline: exonyms and transliterations other copy
    # uses (KIEV for KYIV, PARIS for PARIJS, DEN BOSCH for 'S-HERTOGENBOSCH).
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryKind:
    headlines: tuple[str, ...]
    leads: tuple[str, ...]  # the core clause of a lead sentence, no closing punctuation
    extensions: tuple[str, ...]  # clauses a lead may continue with after a comma
    body: tuple[str, ...]
    things: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # as in "Meer uit Buitenland" / "More from World"
    slug: str
    places: tuple[Place, ...]
    kinds: tuple[str, ...]
    agencies: tuple[tuple[str, ...], ...]  # agency lists a story starts with
    extra_agencies: tuple[str, ...]  # agencies a revision may add


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    host: str
    more_from: str  # "Meer uit" / "More from"
    sections: tuple[Section, ...]
    kinds: dict[str, StoryKind]
    generic_body: tuple[str, ...]
    attributions: tuple[str, ...]  # "meldt {org}": how a lead sentence may end
    boilerplate: tuple[str, ...]
    subheadings: tuple[str, ...]
    roles: tuple[str, ...]
    orgs: tuple[str, ...]
    days: tuple[str, ...]
    months: tuple[str, ...]
    follow_ups: tuple[str, ...]  # sentences of a paragraph a revision adds
    nav: tuple[str, ...]
    footer: str
    cookie_walls: tuple[str, ...]  # pages without any dateline


FIRST_NAMES = (
    "Miroslav",
    "Anna",
    "Jeroen",
    "Sofia",
    "Pieter",
    "Lena",
    "Tomasz",
    "Marta",
    "Hugo",
    "Elena",
    "Karim",
    "Ingrid",
    "Mateo",
    "Yara",
    "Luuk",
    "Nadia",
    "Oskar",
    "Greta",
    "Dmitri",
    "Amara",
    "Joost",
    "Carla",
    "Rafael",
    "Vera",
    "Sven",
    "Leila",
    "Bruno",
    "Noor",
    "Felix",
    "Irina",
    "Wouter",
    "Chiara",
    "Anton",
    "Fatima",
    "Jonas",
    "Olga",
)
LAST_NAMES = (
    "Lazarev",
    "de Vries",
    "Novak",
    "Bakker",
    "Kowalski",
    "Rossi",
    "Jansen",
    "Petrov",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Visser",
    "Santos",
    "Okafor",
    "Brandt",
    "Meijer",
    "Horvat",
    "Nakamura",
    "Dubois",
    "Smit",
    "Alvarez",
    "Kovac",
    "Hendriks",
    "Fischer",
    "Mulder",
    "Costa",
    "Ivanova",
    "Bos",
    "Keller",
    "Zhang",
    "Yilmaz",
    "de Boer",
    "Nowak",
    "Ferreira",
    "Berg",
    "Mendes",
    "Kaya",
    "Verhoeven",
    "Lambert",
    "Sato",
    "Mwangi",
    "Quist",
)


def _places(rows: str) -> tuple[Place, ...]:
    """Places from `DATELINE|Name|adjective|country[|VARIANT,VARIANT]` lines."""
    places = []
    for line in rows.strip().splitlines():
        dateline, name, adj, country, *variants = line.split("|")
        spellings = tuple(variants[0].split(",")) if variants else ()
        places.append(Place(dateline, name, adj, country, spellings))
    return tuple(places)


NL_FOREIGN = _places("""
WASHINGTON|Washington|Amerikaanse|de Verenigde Staten
NEW YORK|New York|Amerikaanse|de Verenigde Staten
DNIPRO|Dnipro|Oekraïense|Oekraïne|DNEPR,DNJEPR
KYIV|Kyiv|Oekraïense|Oekraïne|KIEV
SION|Sion|Zwitserse|Zwitserland
GENÈVE|Genève|Zwitserse|Zwitserland|GENEVA,GENEVE
BRATISLAVA|Bratislava|Slowaakse|Slowakije
QUETTA|Quetta|Pakistaanse|Pakistan
TURIJN|Turijn|Italiaanse|Italië
ROME|Rome|Italiaanse|Italië
PARIJS|Parijs|Franse|Frankrijk|PARIS
BERLIJN|Berlijn|Duitse|Duitsland
LISSABON|Lissabon|Portugese|Portugal
MADRID|Madrid|Spaanse|Spanje
BRUSSEL|Brussel|Belgische|België|BRUSSELS
MOSKOU|Moskou|Russische|Rusland|MOSCOW
VLADIVOSTOK|Vladivostok|Russische|Rusland
KAAPSTAD|Kaapstad|Zuid-Afrikaanse|Zuid-Afrika
TOKIO|Tokio|Japanse|Japan
PEKING|Peking|Chinese|China
ATHENE|Athene|Griekse|Griekenland
WARSCHAU|Warschau|Poolse|Polen
WENEN|Wenen|Oostenrijkse|Oostenrijk
ANKARA|Ankara|Turkse|Turkije
JERUZALEM|Jeruzalem|Israëlische|Israël
NAIROBI|Nairobi|Keniaanse|Kenia
LONDEN|Londen|Britse|het Verenigd Koninkrijk|LONDON
KOPENHAGEN|Kopenhagen|Deense|Denemarken
CHARKIV|Charkiv|Oekraïense|Oekraïne|KHARKIV,KHARKOV
ODESSA|Odessa|Oekraïense|Oekraïne|ODESA
KEULEN|Keulen|Duitse|Duitsland|COLOGNE,KÖLN
""")

NL_DOMESTIC = _places("""
AMSTERDAM|Amsterdam|Nederlandse|Nederland
DEN HAAG|Den Haag|Nederlandse|Nederland|THE HAGUE
'S-HERTOGENBOSCH|'s-Hertogenbosch|Nederlandse|Nederland|DEN BOSCH
ROTTERDAM|Rotterdam|Nederlandse|Nederland
UTRECHT|Utrecht|Nederlandse|Nederland
GRONINGEN|Groningen|Nederlandse|Nederland
ZWOLLE|Zwolle|Nederlandse|Nederland
EINDHOVEN|Eindhoven|Nederlandse|Nederland
MAASTRICHT|Maastricht|Nederlandse|Nederland
ARNHEM|Arnhem|Nederlandse|Nederland
LEEUWARDEN|Leeuwarden|Nederlandse|Nederland
NIJMEGEN|Nijmegen|Nederlandse|Nederland
""")

EN_FOREIGN = _places("""
NAIROBI|Nairobi|Kenyan|Kenya
WASHINGTON|Washington|U.S.|the United States
NEW YORK|New York|U.S.|the United States
LONDON|London|British|Britain
PARIS|Paris|French|France
BERLIN|Berlin|German|Germany
TOKYO|Tokyo|Japanese|Japan
GENEVA|Geneva|Swiss|Switzerland|GENÈVE
KYIV|Kyiv|Ukrainian|Ukraine|KIEV
BEIJING|Beijing|Chinese|China|PEKING
CAIRO|Cairo|Egyptian|Egypt
LAGOS|Lagos|Nigerian|Nigeria
SAO PAULO|Sao Paulo|Brazilian|Brazil
MEXICO CITY|Mexico City|Mexican|Mexico
MUMBAI|Mumbai|Indian|India|BOMBAY
SYDNEY|Sydney|Australian|Australia
ISTANBUL|Istanbul|Turkish|Turkey
WARSAW|Warsaw|Polish|Poland
MADRID|Madrid|Spanish|Spain
JAKARTA|Jakarta|Indonesian|Indonesia
""")

NL_KINDS = {
    "conflict": StoryKind(
        headlines=(
            "Doden bij aanval op {thing} in {city}",
            "{Adj} autoriteiten melden {n} doden na drone-aanval",
            "Aanval op {thing} bij {city} eist zeker {n} levens",
        ),
        leads=(
            "{Adj} regionale autoriteiten melden dat {thing} bij {city} {day} is getroffen door een drone, waarbij {n} doden zijn gevallen",  # noqa: E501
            "Bij een aanval op {thing} in de {adj} stad {city} zijn {day} zeker {n} mensen om het leven gekomen",  # noqa: E501
            "Het dodental door onrust in de regio rond {city} is {day} opgelopen tot {n}",
            "Een raketaanval op {thing} ten oosten van {city} heeft {day} aan {n} burgers het leven gekost",  # noqa: E501
            "In {city} zijn {day} bij beschietingen van {thing} {n} doden gevallen",
            "Het leger heeft {day} {thing} bij {city} aangevallen, waarbij volgens eerste berichten {n} mensen omkwamen",  # noqa: E501
        ),
        extensions=(
            "terwijl nog {m} mensen worden vermist",
            "waarna {m} gezinnen hun huis moesten verlaten",
            "kort nadat {person2} een bezoek aan de regio had aangekondigd",
            "in de zwaarste nacht sinds {m} weken",
            "ondanks een afgesproken bestand van {m} uur",
            "waarbij ook {m} voertuigen in brand vlogen",
            "nadat eerder die dag al {m} drones waren neergehaald",
        ),
        body=(
            "Volgens {person} zijn onder de slachtoffers ook {m} kinderen.",
            "Reddingswerkers van {org} zochten de hele nacht in het puin naar {m} vermisten.",
            "De luchtverdediging onderschepte volgens het leger {n} van de {m} drones.",
            "{Role} {person} sprak van een doelbewuste aanval op burgers.",
            "In de omgeving van {thing} werden {day} nog {m} explosies gehoord.",
            "Het is de zwaarste aanval op {city} sinds {n} dagen.",
        ),
        things=(
            "een bedrijfsbus",
            "een treinstation",
            "een overdekte markt",
            "een woonwijk",
            "een energiecentrale",
            "een ziekenhuis",
            "een graansilo",
            "de haven",
            "een brandstofdepot",
            "een brug over de rivier",
        ),
    ),
    "protest": StoryKind(
        headlines=(
            "Tientallen gewonden bij protest tegen {thing} in {city}",
            "Rellen in {city} na betoging tegen {thing}",
            "Politie grijpt in bij demonstratie in {city}",
        ),
        leads=(
            "Zeker {n} politiemensen zijn {day} gewond geraakt bij uit de hand gelopen protesten tegen {thing} in {city}",  # noqa: E501
            "In {city} zijn {day} {n} betogers aangehouden bij een demonstratie tegen {thing}",
            "Duizenden mensen zijn {day} in {city} de straat op gegaan tegen {thing}, waarna {n} relschoppers werden opgepakt",  # noqa: E501
            "De {adj} politie heeft {day} traangas ingezet tegen {n} demonstranten die in {city} protesteerden tegen {thing}",  # noqa: E501
            "Een mars van {n} boeren tegen {thing} heeft {day} het verkeer in {city} urenlang lamgelegd",  # noqa: E501
            "Bij een sit-in tegen {thing} voor het stadhuis van {city} zijn {day} {n} activisten weggedragen",  # noqa: E501
        ),
        extensions=(
            "hoewel de organisatie om een vreedzaam protest had gevraagd",
            "op de {m}e dag van de acties",
            "nadat de rechter een verbod op de betoging had opgeheven",
            "terwijl {person2} in het parlement de plannen verdedigde",
            "waarbij {m} winkelruiten sneuvelden",
            "een week voor de stemming in het parlement",
        ),
        body=(
            "Over het aantal gewonde demonstranten bestaat onduidelijkheid.",
            "Volgens organisator {person} liepen er {m} duizend mensen mee.",
            "{Role} {person} riep de betogers op de rust te bewaren.",
            "Winkeliers in het centrum van {city} sloten uit voorzorg hun deuren.",
            "Het is de {m}e keer dit jaar dat er wordt gedemonstreerd tegen {thing}.",
            "{Org} kondigde voor komende week nieuwe acties aan.",
        ),
        things=(
            "de nieuwe pensioenwet",
            "de hoge huurprijzen",
            "de verhoging van de btw",
            "de bouw van een snelweg",
            "het klimaatbeleid",
            "de sluiting van een fabriek",
            "bezuinigingen op het onderwijs",
            "een omstreden mijnbouwproject",
            "de verhoging van de collegegelden",
            "het nieuwe asielbeleid",
        ),
    ),
    "politics": StoryKind(
        headlines=(
            "Nieuw overleg over {thing} in {city}",
            "{Role} {person} wil snel akkoord over {thing}",
            "Geen doorbraak in gesprekken over {thing}",
        ),
        leads=(
            "{Role} {person} meldt dat er {day} nieuw overleg over {thing} plaatsvindt in {city}, met {n} delegaties",  # noqa: E501
            "De {adj} regering en {org} hebben {day} in {city} {n} uur onderhandeld over {thing}",
            "{Role} {person} en {person2} zijn het {day} in {city} eens geworden over de eerste {n} punten van {thing}",  # noqa: E501
            "Het parlement in {city} stemt {day} over {thing}, nadat {n} leden een motie van {person} steunden",  # noqa: E501
            "{Role} {person} heeft {day} in {city} een plan van {n} pagina's over {thing} gepresenteerd",  # noqa: E501
            "Een delegatie van {n} diplomaten is {day} in {city} aangekomen voor gesprekken over {thing}",  # noqa: E501
        ),
        extensions=(
            "zonder dat een doorbraak werd bereikt",
            "na maanden van stilstand",
            "onder grote belangstelling van de internationale pers",
            "terwijl de oppositie de gesprekken boycotte",
            "een dag nadat {person2} met aftreden had gedreigd",
            "in aanwezigheid van {m} waarnemers",
        ),
        body=(
            "{Person2} noemde de gesprekken constructief maar moeizaam.",
            "Volgens ingewijden liggen er nog {m} knelpunten op tafel.",
            "{Org} wil dat een akkoord binnen {m} weken wordt getekend.",
            "Eerder liepen de gesprekken vast op de rol van {org}.",
            "De oppositie verwijt {person} dat hij {thing} te lang heeft laten liggen.",
            "Een volgende ronde staat gepland over {m} dagen.",
        ),
        things=(
            "een staakt-het-vuren",
            "een nieuw handelsakkoord",
            "de gasleveringen",
            "de terugkeer van vluchtelingen",
            "de begroting voor volgend jaar",
            "militaire steun",
            "een gevangenenruil",
            "de verdeling van visquota",
            "de bouw van een gaspijpleiding",
            "de hervorming van de grondwet",
        ),
    ),
    "accident": StoryKind(
        headlines=(
            "Gewonden bij brand in {thing} in {city}",
            "Slachtoffer van brand in {city} overleden",
            "{N} gewonden bij ongeluk in {city}",
        ),
        leads=(
            "Een {n}-jarige man die gewond raakte bij de brand in {thing} in {city} is {day} in een ziekenhuis overleden",  # noqa: E501
            "Bij een brand in {thing} in het centrum van {city} zijn {day} {n} mensen gewond geraakt",  # noqa: E501
            "In {city} is {day} {thing} ingestort, waarbij {n} mensen onder het puin terechtkwamen",
            "Een bus met {n} passagiers is {day} bij {city} van de weg geraakt en tegen {thing} gebotst",  # noqa: E501
            "Door een gasexplosie in {thing} in {city} zijn {day} {n} woningen onbewoonbaar geworden",  # noqa: E501
            "Een vrachtwagen met {n} ton chemicaliën is {day} bij {city} in brand gevlogen naast {thing}",  # noqa: E501
        ),
        extensions=(
            "van wie {m} ernstig",
            "enkele uren nadat omwonenden een vreemde lucht hadden gemeld",
            "terwijl de hulpdiensten nog met {m} ploegen zochten",
            "in het drukste uur van de dag",
            "nadat het vuur via de daken was overgeslagen",
            "waarna {m} straten werden afgesloten",
        ),
        body=(
            "De brandweer was met {m} wagens ter plaatse.",
            "{Role} {person} sprak van een zwarte dag voor {city}.",
            "Van {m} slachtoffers is de identiteit nog niet vastgesteld.",
            "De eigenaar van {thing} werd {day} verhoord door de politie.",
            "Omwonenden meldden eerder al {m} keer problemen met de veiligheid.",
            "{Org} opende een speciaal informatienummer voor familieleden.",
        ),
        things=(
            "een café",
            "een appartementencomplex",
            "een fabriekshal",
            "een hotel",
            "een winkelcentrum",
            "een tunnel",
            "een parkeergarage",
            "een sporthal",
            "een kerk",
            "een bejaardentehuis",
        ),
    ),
    "resign": StoryKind(
        headlines=(
            "{Role} {person} stapt op na ophef over {thing}",
            "{Person} treedt af na {thing}",
            "Vertrek {person} na onthullingen over {thing}",
        ),
        leads=(
            "{Role} {person} is {day} opgestapt naar aanleiding van {thing}, na {n} jaar in functie",  # noqa: E501
            "De {adj} {role} {person} treedt af na onthullingen over {thing}",
            "{Person} zegt niets verkeerd te hebben gedaan, maar legt {day} na {n} dagen van kritiek over {thing} haar functie neer",  # noqa: E501
            "Na {n} weken van onrust over {thing} heeft {role} {person} {day} het vertrouwen van {org} verloren",  # noqa: E501
            "{Role} {person} heeft {day} na een vergadering van {n} uur over {thing} haar ontslag ingediend",  # noqa: E501
            "Een onderzoek naar {thing} kost {role} {person} na {n} maanden de baan",
        ),
        extensions=(
            "hoewel {person2} haar {day} nog steunde",
            "nadat {m} partijgenoten hun vertrouwen hadden opgezegd",
            "een week voor de verkiezingen",
            "tot verrassing van haar naaste medewerkers",
            "kort na een verhoor door de parlementaire commissie",
            "en zij wordt voorlopig vervangen door {person2}",
        ),
        body=(
            "{Person2} betreurt het vertrek van de ervaren bestuurder.",
            "Een opvolger wordt naar verwachting binnen {m} weken benoemd.",
            "{Org} kondigde een onafhankelijk onderzoek aan.",
            "Oppositieleider {person2} eist dat alle {m} betrokken stukken openbaar worden.",
            "Het is het {m}e vertrek uit de regering dit jaar.",
            "{Person} werkte eerder voor {org}.",
        ),
        things=(
            "mails met een veroordeelde zakenman",
            "een omkopingsschandaal",
            "een fraudeonderzoek",
            "kritiek op zijn beleid",
            "het lekken van vertrouwelijke stukken",
            "een declaratieaffaire",
            "een mislukte aanbesteding",
            "uitspraken over journalisten",
        ),
    ),
    "economy": StoryKind(
        headlines=(
            "Omzet van {thing} stijgt met {n} procent",
            "Ontslagen dreigen in {thing}",
            "{Org} waarschuwt voor krimp in {thing}",
        ),
        leads=(
            "De omzet in {thing} is in het afgelopen kwartaal met {n} procent gestegen",
            "In {thing} dreigen {n} honderd banen te verdwijnen bij een groot bedrijf uit {city}",
            "{Org} verwacht dat {thing} dit jaar met {m} procent krimpt, na een verlies van {n} miljoen euro",  # noqa: E501
            "Het {adj} concern van topman {person} neemt voor {n} miljoen euro een branchegenoot in {thing} over",  # noqa: E501
            "De beurswaarde van bedrijven in {thing} is {day} met {n} miljard euro gedaald",
            "Een staking van {n} werknemers legt {day} een groot deel van {thing} in {city} stil",
        ),
        extensions=(
            "ondanks de hoge energieprijzen",
            "tegen de verwachting van analisten in",
            "als gevolg van de zwakke vraag uit China",
            "terwijl de lonen met {m} procent stegen",
            "voor het vierde kwartaal op rij",
            "na een moeizaam jaar",
        ),
        body=(
            "Analisten hadden gerekend op een stijging van {m} procent.",
            "{Person} wijst op de stijgende loonkosten en de zwakke vraag uit China.",
            "Het aandeel sloot {day} {m} procent hoger op de beurs.",
            "Vakbondsbestuurder {person2} noemt de plannen onacceptabel.",
            "{Org} verlaagde eerder de verwachting voor het hele jaar.",
            "De inflatie kwam vorige maand uit op {m} procent.",
        ),
        things=(
            "de bouwsector",
            "de scheepvaart",
            "de chipindustrie",
            "de landbouw",
            "de luchtvaart",
            "de detailhandel",
            "de staalindustrie",
            "de tuinbouw",
            "de autobranche",
            "de horeca",
        ),
    ),
}

EN_KINDS = {
    "conflict": StoryKind(
        headlines=(
            "Attack on {thing} near {city} kills {n}",
            "{Adj} officials report {n} dead after drone strike",
            "Deadly strike hits {thing} in {city}",
        ),
        leads=(
            "{Adj} regional officials said a drone hit {thing} near {city} {day}, killing {n} people",  # noqa: E501
            "At least {n} people were killed {day} in an attack on {thing} in the {adj} city of {city}",  # noqa: E501
            "The death toll from unrest around {city} rose to {n} {day}",
            "A missile strike on {thing} east of {city} killed {n} civilians {day}",
            "Shelling of {thing} in {city} killed {n} people {day}",
            "Troops attacked {thing} near {city} {day}, and early reports said {n} people died",
        ),
        extensions=(
            "while {m} people are still missing",
            "forcing {m} families from their homes",
            "shortly after {person2} announced a visit to the region",
            "in the heaviest night of fighting in {m} weeks",
            "despite an agreed {m}-hour truce",
            "setting {m} vehicles on fire",
            "after {m} drones were shot down earlier in the day",
        ),
        body=(
            "{Person} said {m} children were among the victims.",
            "Rescue workers from {org} searched the rubble overnight for {m} missing people.",
            "Air defences shot down {n} of {m} drones, the army said.",
            "{Role} {person} called it a deliberate attack on civilians.",
            "Residents reported {m} more explosions near {thing} {day}.",
            "It was the heaviest attack on {city} in {n} days.",
        ),
        things=(
            "a company bus",
            "a railway station",
            "a covered market",
            "a residential block",
            "a power plant",
            "a hospital",
            "a grain silo",
            "the port",
            "a fuel depot",
            "a river bridge",
        ),
    ),
    "protest": StoryKind(
        headlines=(
            "Dozens hurt as protest over {thing} turns violent in {city}",
            "Riots in {city} after march against {thing}",
            "Police move in on {city} demonstrators",
        ),
        leads=(
            "At least {n} police officers were injured {day} when protests against {thing} in {city} turned violent",  # noqa: E501
            "Police in {city} detained {n} protesters {day} at a rally against {thing}",
            "Thousands marched through {city} {day} against {thing}, and {n} rioters were arrested",
            "{Adj} police fired tear gas {day} at {n} demonstrators protesting in {city} against {thing}",  # noqa: E501
            "A march by {n} farmers against {thing} paralysed traffic in {city} for hours {day}",
            "Police carried away {n} activists {day} from a sit-in against {thing} outside {city} city hall",  # noqa: E501
        ),
        extensions=(
            "although organisers had called for a peaceful protest",
            "on day {m} of the protests",
            "after a court lifted a ban on the march",
            "while {person2} defended the plans in parliament",
            "smashing {m} shop windows",
            "a week before the vote in parliament",
        ),
        body=(
            "It was unclear how many demonstrators were hurt.",
            "Organiser {person} said {m} thousand people took part.",
            "{Role} {person} urged protesters to stay calm.",
            "Shops in central {city} closed as a precaution.",
            "It was protest number {m} against {thing} this year.",
            "{Org} announced new action for next week.",
        ),
        things=(
            "the new pension law",
            "soaring rents",
            "a sales tax increase",
            "a motorway project",
            "climate policy",
            "a factory closure",
            "education cuts",
            "a disputed mining project",
            "higher tuition fees",
            "the new asylum rules",
        ),
    ),
    "politics": StoryKind(
        headlines=(
            "New talks on {thing} set for {city}",
            "{Role} {person} seeks quick deal on {thing}",
            "No breakthrough in talks on {thing}",
        ),
        leads=(
            "{Role} {person} said new talks on {thing} would take place in {city} {day}, with {n} delegations",  # noqa: E501
            "The {adj} government and {org} negotiated for {n} hours in {city} {day} on {thing}",
            "{Role} {person} and {person2} agreed in {city} {day} on the first {n} points of {thing}",  # noqa: E501
            "Parliament in {city} votes {day} on {thing} after {n} lawmakers backed a motion by {person}",  # noqa: E501
            "{Role} {person} presented a {n}-page plan on {thing} in {city} {day}",
            "A delegation of {n} diplomats arrived in {city} {day} for talks on {thing}",
        ),
        extensions=(
            "without reaching a breakthrough",
            "after months of deadlock",
            "under heavy international media attention",
            "while the opposition boycotted the talks",
            "a day after {person2} threatened to resign",
            "in the presence of {m} observers",
        ),
        body=(
            "{Person2} called the talks constructive but difficult.",
            "Sources said {m} sticking points remained.",
            "{Org} wants a deal signed within {m} weeks.",
            "Earlier talks stalled over the role of {org}.",
            "The opposition accused {person} of neglecting {thing} for too long.",
            "A next round is planned in {m} days.",
        ),
        things=(
            "a ceasefire",
            "a new trade deal",
            "gas supplies",
            "the return of refugees",
            "next year's budget",
            "military aid",
            "a prisoner exchange",
            "fishing quotas",
            "a gas pipeline",
            "constitutional reform",
        ),
    ),
    "accident": StoryKind(
        headlines=(
            "Fire at {thing} in {city} injures {n}",
            "Victim of {city} fire dies in hospital",
            "{N} injured in accident near {city}",
        ),
        leads=(
            "A {n}-year-old man injured in the fire at {thing} in {city} died in hospital {day}",
            "A fire at {thing} in central {city} injured {n} people {day}",
            "{Thing} collapsed in {city} {day}, trapping {n} people under the rubble",
            "A bus carrying {n} passengers left the road near {city} {day} and crashed into {thing}",  # noqa: E501
            "A gas explosion at {thing} in {city} left {n} homes uninhabitable {day}",
            "A lorry carrying {n} tonnes of chemicals caught fire near {thing} outside {city} {day}",  # noqa: E501
        ),
        extensions=(
            "{m} of them seriously",
            "hours after residents reported a strange smell",
            "as {m} rescue teams kept searching",
            "at the busiest hour of the day",
            "after the fire spread across the roofs",
            "and {m} streets were closed",
        ),
        body=(
            "Firefighters sent {m} engines to the scene.",
            "{Role} {person} called it a black day for {city}.",
            "{M} victims have not yet been identified.",
            "Police questioned the owner of {thing} {day}.",
            "Residents had reported safety problems {m} times before.",
            "{Org} opened a hotline for relatives.",
        ),
        things=(
            "a bar",
            "an apartment block",
            "a factory hall",
            "a hotel",
            "a shopping centre",
            "a tunnel",
            "a car park",
            "a sports hall",
            "a church",
            "a care home",
        ),
    ),
    "resign": StoryKind(
        headlines=(
            "{Role} {person} quits over {thing}",
            "{Person} resigns after {thing}",
            "{Person} out after revelations about {thing}",
        ),
        leads=(
            "{Role} {person} resigned {day} over {thing} after {n} years in office",
            "{Adj} {role} {person} is stepping down after revelations about {thing}",
            "{Person} denied any wrongdoing but quit {day} after {n} days of criticism over {thing}",  # noqa: E501
            "After {n} weeks of turmoil over {thing}, {role} {person} lost the confidence of {org} {day}",  # noqa: E501
            "{Role} {person} handed in her resignation {day} after a {n}-hour meeting on {thing}",
            "An inquiry into {thing} cost {role} {person} her job after {n} months",
        ),
        extensions=(
            "although {person2} had backed her {day}",
            "after {m} party colleagues withdrew their support",
            "a week before the election",
            "to the surprise of her closest aides",
            "shortly after a hearing before a parliamentary committee",
            "and {person2} will stand in for now",
        ),
        body=(
            "{Person2} regretted the departure of the experienced official.",
            "A successor is expected to be named within {m} weeks.",
            "{Org} announced an independent inquiry.",
            "Opposition leader {person2} demanded that all {m} documents be made public.",
            "It is departure number {m} from the government this year.",
            "{Person} previously worked for {org}.",
        ),
        things=(
            "emails with a convicted businessman",
            "a bribery scandal",
            "a fraud inquiry",
            "criticism of his policies",
            "leaked confidential papers",
            "an expenses affair",
            "a failed tender",
            "remarks about journalists",
        ),
    ),
    "economy": StoryKind(
        headlines=(
            "Sales in {thing} up {n} percent",
            "Job cuts loom in {thing}",
            "{Org} warns of shrinking {thing}",
        ),
        leads=(
            "Sales in {thing} rose {n} percent in the last quarter",
            "Some {n} hundred jobs in {thing} are at risk at a large {city} company",
            "{Org} expects {thing} to shrink {m} percent this year after a loss of {n} million dollars",  # noqa: E501
            "The {adj} group led by {person} is buying a rival in {thing} for {n} million dollars",
            "The market value of companies in {thing} fell by {n} billion dollars {day}",
            "A strike by {n} workers shut down much of {thing} in {city} {day}",
        ),
        extensions=(
            "despite high energy prices",
            "defying analysts' expectations",
            "because of weak demand from China",
            "while wages rose {m} percent",
            "for the fourth quarter in a row",
            "after a difficult year",
        ),
        body=(
            "Analysts had expected a rise of {m} percent.",
            "{Person} pointed to rising wage costs and weak demand from China.",
            "The shares closed {m} percent higher {day}.",
            "Union leader {person2} called the plans unacceptable.",
            "{Org} cut its forecast for the full year earlier.",
            "Inflation came in at {m} percent last month.",
        ),
        things=(
            "the construction sector",
            "shipping",
            "the chip industry",
            "farming",
            "aviation",
            "retail",
            "the steel industry",
            "horticulture",
            "the car industry",
            "hospitality",
        ),
    ),
}

NL_GENERIC = (
    "{Role} {person} zei {day} dat de situatie nauwlettend wordt gevolgd.",
    "{Org} heeft om opheldering gevraagd bij de autoriteiten in {city}.",
    "Volgens {person2} is het nog te vroeg om conclusies te trekken.",
    "De gebeurtenissen in {city} leiden ook in {country} tot felle reacties.",
    "Op sociale media circuleren beelden die {m} jaar oud blijken te zijn.",
    "{Person} kondigde aan {day} opnieuw met {org} te spreken.",
    "Een woordvoerder van {org} wilde niet reageren op vragen van journalisten.",
    "Het is onduidelijk hoeveel mensen in {city} rechtstreeks zijn getroffen.",
)
EN_GENERIC = (
    "{Role} {person} said {day} that the situation was being closely monitored.",
    "{Org} asked the authorities in {city} for an explanation.",
    "{Person2} said it was too early to draw conclusions.",
    "The events in {city} drew sharp reactions across {country}.",
    "Footage circulating on social media turned out to be {m} years old.",
    "{Person} said he would meet {org} again {day}.",
    "A spokesperson for {org} declined to answer questions from reporters.",
    "It is unclear how many people in {city} were directly affected.",
)

NL_LANGUAGE = Language(
    code="nl",
    host="nieuwsdienst.example",
    more_from="Meer uit",
    sections=(
        Section(
            "Buitenland",
            "buitenland",
            NL_FOREIGN,
            ("conflict", "protest", "politics", "accident", "resign"),
            (("ANP",), ("ANP", "RTR"), ("ANP", "AFP"), ("ANP", "RTR", "AFP"), ("ANP", "DPA")),
            ("AP", "AFP", "RTR", "DPA", "BELGA"),
        ),
        Section(
            "Binnenland",
            "binnenland",
            NL_DOMESTIC,
            ("protest", "accident", "politics", "resign"),
            (("ANP",),),
            ("AFN", "BELGA"),
        ),
        Section(
            "Economie",
            "economie",
            NL_DOMESTIC + NL_FOREIGN[:8],
            ("economy", "resign"),
            (("ANP",), ("AFN",), ("ANP", "BLOOMBERG"), ("ANP", "RTR")),
            ("BLOOMBERG", "RTR", "DPA"),
        ),
    ),
    kinds=NL_KINDS,
    generic_body=NL_GENERIC,
    attributions=(
        "meldt {org}",
        "zegt {role} {person}",
        "aldus een woordvoerder van {org}",
        "bevestigt {person}",
        "melden lokale media",
        "laat {org} weten",
        "schrijft persbureau Reuters",
        "zo maakte {role} {person} bekend",
        "meldt de {adj} omroep",
        "volgens {org}",
    ),
    boilerplate=(
        "Dat meldt persbureau Reuters.",
        "Dat zeggen lokale autoriteiten.",
        "Over de oorzaak is nog niets bekend.",
        "Het onderzoek is nog in volle gang.",
        "Dat zeiden twee functionarissen tegen persbureau Reuters.",
        "Meer informatie is op dit moment niet beschikbaar.",
    ),
    subheadings=(
        "Versterken banden",
        "Zware schade",
        "Geen overeenkomst",
        "Kritiek uit oppositie",
        "Onderzoek loopt",
        "Eerdere incidenten",
        "Reactie regering",
        "Zorgen om veiligheid",
        "Economische gevolgen",
        "Nieuwe gesprekken",
        "Getuigen vertellen",
        "Hulp onderweg",
    ),
    roles=(
        "premier",
        "minister van Defensie",
        "burgemeester",
        "president",
        "gouverneur",
        "politiewoordvoerder",
        "veiligheidsadviseur",
        "minister van Financiën",
        "parlementsvoorzitter",
        "minister van Buitenlandse Zaken",
    ),
    orgs=(
        "het ministerie van Defensie",
        "de Verenigde Naties",
        "de Europese Commissie",
        "de lokale politie",
        "het Rode Kruis",
        "de brandweer",
        "het openbaar ministerie",
        "de centrale bank",
        "de vakbond",
        "de Wereldgezondheidsorganisatie",
        "de Wereldbank",
        "het statistiekbureau",
    ),
    days=("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    months=(
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    follow_ups=(
        "Later op de dag bevestigde {org} dat het aantal slachtoffers is gestegen tot {n}.",
        "{Person2} maakte {day} bekend dat {m} extra hulpverleners naar {city} worden gestuurd.",
        "In een verklaring liet {role} {person} weten dat er binnen {m} dagen duidelijkheid komt.",
        "Inmiddels hebben ook {n} andere landen hun steun aan {city} toegezegd.",
    ),
    nav=("Home", "Binnenland", "Buitenland", "Economie", "Sport", "Cultuur", "Weer"),
    footer="© 2026 Nieuwsdienst. Alle rechten voorbehouden. Privacy · Cookies · Contact",
    cookie_walls=(
        "Wij gebruiken cookies\nOm deze website goed te laten werken, gebruiken wij cookies. "
        "Klik op Akkoord om verder te gaan.\nAkkoord\nInstellingen aanpassen",
        "Pagina niet gevonden\nDe pagina die je zoekt bestaat niet (meer). "
        "Ga terug naar de voorpagina.\nFoutcode 404",
    ),
)

EN_LANGUAGE = Language(
    code="en",
    host="worldwire.example",
    more_from="More from",
    sections=(
        Section(
            "World",
            "world",
            EN_FOREIGN,
            ("conflict", "protest", "politics", "accident", "resign"),
            (("Reuters",), ("AP",), ("AFP",)),
            (),
        ),
        Section(
            "Business",
            "business",
            EN_FOREIGN,
            ("economy", "resign"),
            (("Reuters",), ("Bloomberg",)),
            (),
        ),
    ),
    kinds=EN_KINDS,
    generic_body=EN_GENERIC,
    attributions=(
        "{org} said",
        "{role} {person} said",
        "a spokesperson for {org} said",
        "{person} confirmed",
        "local media reported",
        "according to {org}",
        "Reuters reported",
        "{role} {person} told reporters",
        "{adj} broadcasters reported",
        "officials at {org} said",
    ),
    boilerplate=(
        "Reuters could not independently verify the report.",
        "Local authorities confirmed the figures.",
        "The cause is not yet known.",
        "An investigation is under way.",
        "Two officials told Reuters on condition of anonymity.",
        "No further details were immediately available.",
    ),
    subheadings=(
        "Closer ties",
        "Heavy damage",
        "No agreement",
        "Opposition criticism",
        "Inquiry under way",
        "Earlier incidents",
        "Government response",
        "Security fears",
        "Economic fallout",
        "New talks",
        "Witness accounts",
        "Aid on its way",
    ),
    roles=(
        "Prime Minister",
        "Defence Minister",
        "Mayor",
        "President",
        "Governor",
        "police spokesperson",
        "security adviser",
        "Finance Minister",
        "Speaker",
        "Foreign Minister",
    ),
    orgs=(
        "the Defence Ministry",
        "the United Nations",
        "the European Commission",
        "local police",
        "the Red Cross",
        "the fire service",
        "prosecutors",
        "the central bank",
        "the trade union",
        "the World Health Organization",
        "the World Bank",
        "the statistics office",
    ),
    days=(
        "on Monday",
        "on Tuesday",
        "on Wednesday",
        "on Thursday",
        "on Friday",
        "on Saturday",
        "on Sunday",
    ),
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    follow_ups=(
        "Later in the day {org} said the number of victims had risen to {n}.",
        "{Person2} said {day} that {m} more rescue workers were being sent to {city}.",
        "In a statement, {role} {person} said there would be clarity within {m} days.",
        "{N} other countries have since pledged support to {city}.",
    ),
    nav=("Home", "World", "Business", "Markets", "Sport", "Opinion"),
    footer="© 2026 Worldwire. All rights reserved. Terms · Privacy · Cookies",
    cookie_walls=(
        "We value your privacy\nWe use cookies to improve your experience. "
        "Click Accept to continue.\nAccept all\nManage settings",
        "Page not found\nSorry, the page you requested could not be found.\nError 404",
    ),
)

LANGUAGES = {"nl": NL_LANGUAGE, "en": EN_LANGUAGE}
