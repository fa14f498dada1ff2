"""Is a short piece of text a place? "City, ST", "City, Country", a postcode and a city, a
country, or one of a few hundred large cities. Used for the contact location and to keep
places out of job titles and company names."""

from __future__ import annotations

import functools
import re
import unicodedata


def split(text: str, sep: str | None = None) -> list[str]:
    """A word list written as one string."""
    return text.split(sep)


US_STATES = frozenset(
    split(
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
        "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR "
        # Canadian provinces and territories.
        "AB BC MB NB NL NS NT NU ON PE QC SK YT"
    )
)

COUNTRIES = frozenset(
    split(
        "germany,deutschland,france,spain,espana,italy,italia,netherlands,the netherlands,"
        "nederland,holland,belgium,belgique,belgie,luxembourg,austria,osterreich,switzerland,"
        "schweiz,suisse,svizzera,uk,u.k.,united kingdom,great britain,england,scotland,wales,"
        "northern ireland,ireland,usa,u.s.a.,us,u.s.,united states,united states of america,"
        "canada,mexico,brazil,brasil,argentina,chile,colombia,peru,uruguay,portugal,poland,"
        "polska,czech republic,czechia,slovakia,hungary,romania,bulgaria,greece,turkey,turkiye,"
        "croatia,serbia,slovenia,bosnia and herzegovina,ukraine,russia,belarus,estonia,latvia,"
        "lithuania,sweden,sverige,norway,norge,denmark,danmark,finland,suomi,iceland,malta,"
        "cyprus,israel,egypt,morocco,tunisia,algeria,nigeria,kenya,ghana,south africa,ethiopia,"
        "india,pakistan,bangladesh,sri lanka,nepal,china,hong kong,taiwan,japan,korea,"
        "south korea,singapore,malaysia,indonesia,philippines,vietnam,thailand,australia,"
        "new zealand,uae,united arab emirates,saudi arabia,qatar,jordan,lebanon,iran,remote,"
        "worldwide",
        ",",
    )
)

CITIES = frozenset(
    split(
        "berlin,hamburg,munich,munchen,cologne,koln,frankfurt,frankfurt am main,stuttgart,"
        "dusseldorf,leipzig,dortmund,essen,bremen,dresden,hannover,hanover,nuremberg,nurnberg,"
        "bonn,karlsruhe,mannheim,heidelberg,aachen,freiburg,potsdam,vienna,wien,graz,linz,"
        "salzburg,innsbruck,zurich,geneva,geneve,basel,bern,lausanne,paris,lyon,marseille,"
        "toulouse,nice,nantes,bordeaux,lille,strasbourg,montpellier,rennes,grenoble,madrid,"
        "barcelona,valencia,seville,sevilla,bilbao,malaga,zaragoza,lisbon,lisboa,porto,rome,roma,"
        "milan,milano,naples,napoli,turin,torino,florence,firenze,bologna,amsterdam,rotterdam,"
        "the hague,den haag,utrecht,eindhoven,brussels,bruxelles,brussel,antwerp,antwerpen,ghent,"
        "gent,london,manchester,birmingham,edinburgh,glasgow,bristol,leeds,liverpool,cambridge,"
        "oxford,dublin,cork,belfast,copenhagen,kobenhavn,stockholm,gothenburg,oslo,helsinki,"
        "reykjavik,warsaw,warszawa,krakow,wroclaw,prague,praha,brno,budapest,bucharest,sofia,"
        "athens,istanbul,ankara,zagreb,belgrade,ljubljana,kyiv,kiev,tallinn,riga,vilnius,"
        "new york,new york city,nyc,san francisco,los angeles,seattle,boston,chicago,austin,"
        "denver,portland,san diego,san jose,atlanta,miami,dallas,houston,washington,philadelphia,"
        "toronto,montreal,vancouver,ottawa,calgary,mexico city,sao paulo,rio de janeiro,"
        "buenos aires,santiago,bogota,lima,tel aviv,dubai,abu dhabi,cairo,lagos,nairobi,"
        "cape town,johannesburg,bangalore,bengaluru,mumbai,delhi,new delhi,hyderabad,chennai,"
        "pune,beijing,shanghai,shenzhen,tokyo,osaka,seoul,singapore,sydney,melbourne,brisbane,"
        "perth,auckland,wellington",
        ",",
    )
)

# Words that join the parts of a place name ("Frankfurt am Main", "Rio de Janeiro").
_JOINERS = frozenset(split("am an der de del di da do dos la le les on upon sur sous im in"))
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}-)?\d{4,5}\s+(?P<city>.+)$")
_ZIP = re.compile(r"^(?P<st>[A-Z]{2})(?:\s+\d{5}(?:-\d{4})?)?$")
# Things a place name does not contain: company suffixes and job words (kept short here;
# entries.py has the full lists).
_NOT_A_PLACE = re.compile(
    r"\b(?:inc|corp|ltd|llc|gmbh|ag|group|engineer|developer|manager|university|school|"
    r"college|consultant|designer|analyst|director|intern)\b",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lowercase ASCII without accents, for comparing words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", plain).strip().lower()


def _name_like(text: str, most: int = 4) -> bool:
    """One to `most` capitalised words (joiners allowed), no digits."""
    words = text.replace("-", " ").split()
    if not words or len(words) > most or any(ch.isdigit() for ch in text):
        return False
    if not words[0][:1].isupper() or _NOT_A_PLACE.search(text):
        return False
    return all(w[:1].isupper() or w.lower() in _JOINERS or w.endswith(".") for w in words)


@functools.lru_cache(maxsize=4096)
def place(text: str, loose: bool = False) -> str | None:
    """The place `text` names, as written (a street or postcode before it left out), or None.

    With `loose`, any one to three capitalised words count too: for a part of a contact line
    that also holds an email address or a phone number."""
    s = text.strip().strip(".;")
    if not s or len(s) > 60:
        return None
    parts = [p.strip() for p in s.split(",")]
    if any(not p for p in parts):
        return None
    # "Musterstraße 12, 10115 Berlin" / "10115 Berlin, Germany": keep the city on.
    for i, part in enumerate(parts):
        if m := _POSTCODE.match(part):
            rest = [m.group("city"), *parts[i + 1 :]]
            return place(", ".join(rest), loose=True)
    if len(parts) == 1:
        folded = fold(s)
        if folded in COUNTRIES or folded in CITIES:
            return s
        return s if loose and _name_like(s, 3) else None
    city, *middle, last = parts
    if len(parts) > 3 or not _name_like(city) or not all(_name_like(p) for p in middle):
        return None
    if (m := _ZIP.match(last)) and m.group("st") in US_STATES:
        return ", ".join([city, *middle, m.group("st")])
    if fold(last) in COUNTRIES and (_name_like(last) or last.isupper()):
        return ", ".join(parts)
    return None
