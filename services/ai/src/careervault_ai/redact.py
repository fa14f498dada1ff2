"""Removes contact details from text before it leaves the machine for an external AI provider.

`redact(text)` replaces e-mail addresses with `[email]`, phone numbers with `[phone]` and
street addresses (a house number with a street word in English, German, French or Spanish;
a postcode with its city; a US "City, ST 12345"; a UK postcode after a comma) with
`[address]`. Everything else is kept as written: what a resume says about skills, employers,
dates, years ("2019 - 2023"), versions ("Python 3.11"), amounts ("$120,000", "120 000 EUR"),
counts ("10,000 users") and links is what the analysis needs.

The rules are conservative in one direction: a number without a leading `+`/`00`, a phone
label ("Tel", "Mobile", "Téléphone", "Móvil", ...) or at least nine digits is left alone, and
a run of four-digit years or a date never counts as a phone number. City names on their own
("Berlin", "Austin, TX") are kept: a job's location matters to the match.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
ADDRESS = "[address]"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
# "jane (at) example (dot) com", "jane [at] example [dot] com"
_EMAIL_SPELLED_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]++\s*[\[(]\s*at\s*[\])]\s*[\w-]++(?:\s*[\[(]\s*dot\s*[\])]\s*[\w-]++)+",
    re.I,
)

# A phone-number candidate: optional + / 00 / (area), then digits with spaces, dots, dashes,
# slashes or parentheses between them, ending in a digit; an optional extension.
_PHONE_RE = re.compile(
    r"(?<![\w+/.,$€£¥#-])"
    r"(?P<num>(?:\+|\b00)?[ \t]?(?:\(\s?\+?\d{1,5}\s?\)|\d)(?:[ \t]?[-./]?[ \t]?\(?\d++\)?){1,8})"
    r"(?P<ext>[ \t]*(?:ext\.?|x|#|Durchwahl|poste)[ \t]*\d{1,6})?"
    r"(?![\w.,]?\d)(?![ \t]?(?:%|€|£|\$|EUR|USD|GBP|k\b|K\b))",
    re.I,
)
_PHONE_LABEL_RE = re.compile(
    r"(?:\b(?:tel|tél|téléphone|telephone|telefon|teléfono|telefono|phone|ph|mobile|mob|"
    r"mobil|handy|cell|cellphone|portable|móvil|movil|fax|whatsapp|call|contact)\b"
    r"|\b[TMP]\b|☎|📞|✆)[\s.:]{0,4}(?:\([^)]{0,12}\)\s*)?$",
    re.I,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DATE_RE = re.compile(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2}))$"
)

# -- street addresses ------------------------------------------------------------------------

_CAP = r"[A-ZÄÖÜÀ-ÖØ-Ý][\w'\u2019.-]*"
_NAME = r"[A-Z][A-Za-z.'\u2019-]+"  # a capitalised word of a place name
_FR_NAME = r"[A-ZÀ-ÖØ-Ý][\w'\u2019-]*"
_EN_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Square|Sq|Close|Crescent|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Row|Mews|"
    r"Gardens|Grove|Walk|Hill"
)
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|#)\.?\s*[\w-]{1,6})?"
# 221B Baker Street; 1600 Pennsylvania Avenue NW; 10 Downing St.
_EN_RE = re.compile(
    rf"(?<![\w.,/-])\d{{1,6}}[A-Za-z]?(?:-\d{{1,4}})?[ \t]+(?:{_CAP}[ \t]+){{0,3}}{_CAP}?[ \t]*"
    rf"\b(?:{_EN_STREET})\b\.?(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?{_UNIT}"
    # "2 Supreme Court cases": a street word followed by a lowercase word is prose.
    r"(?![ \t]+[a-z])"
)
_DE_SUFFIX = r"straße|strasse|str\.|weg|allee|platz|gasse|damm|ufer|chaussee|steig|pfad|stieg"
# Musterstraße 12a; Hauptstr. 5; Berliner Straße 12; Am Lindenweg 3-5; Rue du Lac 8 (CH)
_DE_RE = re.compile(
    rf"(?<![\w-])(?:(?:Am|An der|Auf der|Im|In der|Zum|Zur)\s+)?"
    rf"(?:[A-ZÄÖÜ][\wäöüß-]*(?:{_DE_SUFFIX})|(?:[A-ZÄÖÜ][\wäöüß-]*\s+)"
    rf"(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Ring))"
    rf"\s*\d{{1,4}}(?:\s?[a-zA-Z])?(?:\s?[-/]\s?\d{{1,4}}[a-zA-Z]?)?(?![\w.])"
)
_FR_WORD = (
    r"rue|avenue|av\.|bd|boulevard|place|chemin|allée|allee|impasse|quai|cours|route|"
    r"square|passage|faubourg|rte|ch\."
)
# 12 rue de la Paix; 5 bis, avenue Victor Hugo; 10 boulevard Haussmann
_FR_RE = re.compile(
    rf"(?<![\w.,/-])\d{{1,4}}(?:\s?(?:bis|ter|[A-Da-d])\b)?,?\s+(?i:{_FR_WORD})\s+"
    rf"(?:(?:de\s+la|de\s+l['\u2019]|de|du|des|d['\u2019]|la|le|les|l['\u2019])\s*)?"
    rf"{_FR_NAME}(?:[ \t]+(?:de\s+|du\s+|des\s+|la\s+|le\s+)?{_FR_NAME}){{0,4}}"
)
_ES_WORD = (
    r"Calle|C/|Avenida|Avda\.?|Av\.|Paseo|Pº|Plaza|Pza\.?|Carrera|Camino|Ronda|Travesía|"
    r"Carretera|Ctra\.?|Rambla|Glorieta|Vía"
)
# Calle Mayor 10; C/ Gran Vía, 25, 3º B; Avenida de la Constitución, nº 12
_ES_RE = re.compile(
    rf"(?<![\w-])(?:{_ES_WORD})\s*(?:de\s+(?:la\s+|los\s+|las\s+)?|del\s+)?"
    rf"[A-ZÁÉÍÓÚÑ][\wáéíóúñ'-]*(?:\s+(?:de\s+(?:la\s+|los\s+|las\s+)?|del\s+)?"
    rf"[A-ZÁÉÍÓÚÑ][\wáéíóúñ'-]*){{0,3}},?\s*(?:n[º°o]\.?\s*)?\d{{1,4}}"
    rf"(?:\s*,?\s*\d{{1,2}}\s?[º°ª]\s?[A-Za-z0-9]{{0,2}})?(?![\w])"
)
# 10115 Berlin; D-80331 München; 75002 Paris; 28013 Madrid; F-75002 Paris; 1010 Wien (AT/CH)
_POSTCODE_CITY = (
    r"(?:[A-Z]{1,2}-)?\d{4,5}\s+[A-ZÄÖÜÀ-ÖØ-Ý][\wäöüßà-öø-ÿ'\u2019-]+"
    r"(?:[ \t](?:am|an|der|sur|en|de|la|le|im|bei|[A-Z][\w'\u2019-]+))*"
    r"(?:\s+(?:Cedex|CEDEX)(?:\s+\d{1,2})?)?"
)
_POSTCODE_CITY_RE = re.compile(
    rf"(?:(?<=^)|(?<=[,|·•;]\s)|(?<=[,|·•;])|(?<=\n)){_POSTCODE_CITY}(?=\s*(?:$|[,|·•;\n(]))",
    re.M,
)
# Springfield, IL 62701; New York, NY 10001-1234
_US_CITY_RE = re.compile(
    rf"\b{_NAME}(?:[ \t]+{_NAME}){{0,3}},[ \t]*[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?\b"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}"
_UK_CITY_RE = re.compile(
    rf"(?:\b{_NAME}(?:[ \t]+{_NAME}){{0,2}},?[ \t]+{_UK_POSTCODE}\b"
    rf"|(?<=,\s){_UK_POSTCODE}\b)(?=[ \t]*(?:$|[,|·•;)\n]))",
    re.M,
)
# After a street: ", Springfield, IL 62701", ", 75002 Paris", ", London SW1A 2AA"
_TAIL_RE = re.compile(
    rf"(?:,?[ \t]*(?:{_POSTCODE_CITY}|{_NAME}(?:[ \t]{_NAME}){{0,2}}"
    rf"(?:,?[ \t]*(?:[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE}))?))"
    rf"(?=[ \t]*(?:$|[,|·•;\n]))"
)
_STREET_RES = (_EN_RE, _DE_RE, _FR_RE, _ES_RE)


def redact(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and street addresses replaced."""
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _EMAIL_SPELLED_RE.sub(EMAIL, text)
    text = _redact_addresses(text)
    return _PHONE_RE.sub(_phone, text)


def _redact_addresses(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for rx in _STREET_RES:
        for m in rx.finditer(text):
            end = m.end()
            # Take the city/postcode that follows on the same line, up to two parts.
            for _ in range(2):
                tail = _TAIL_RE.match(text, end)
                if not tail or not tail.group(0).strip(" ,\t") or "\n" in tail.group(0):
                    break
                end = tail.end()
            spans.append((m.start(), end))
    for rx in (_POSTCODE_CITY_RE, _US_CITY_RE, _UK_CITY_RE):
        spans += [(m.start(), m.end()) for m in rx.finditer(text) if not _only_years(m.group(0))]
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in _merge(spans):
        out.append(text[pos:start])
        out.append(ADDRESS)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _only_years(s: str) -> bool:
    """True for "2019 Berlin": four-digit postcodes exist, but one that reads as a year next
    to a city is far more often a date."""
    first = s.split()[0].split("-")[-1]
    return bool(_YEAR.match(first))


def _phone(m: re.Match[str]) -> str:
    raw = m.group(0)
    num = m.group("num")
    digits = re.sub(r"\D", "", num)
    if not 7 <= len(digits) <= 15:
        return raw
    stripped = num.strip()
    groups = re.findall(r"\d+", stripped)
    # Years and year ranges: "2019 - 2023", "2015 2016 2017"; dates: "2023-01-15".
    if all(_YEAR.match(g) for g in groups):
        return raw
    if _DATE_RE.match(stripped):
        return raw
    # Month/year ranges: "06/2019 - 03/2023", "1/2019-12/2020".
    if any(_YEAR.match(g) for g in groups) and all(_YEAR.match(g) or len(g) <= 2 for g in groups):
        return raw
    if re.search(
        r"\b(?:ISBN|ISSN|DOI|ORCID)[\s:-]*$", m.string[max(0, m.start() - 12) : m.start()]
    ):
        return raw
    # A decimal ("3.14159") or an IPv4 address; "06.12.34.56.78" stays a phone number.
    if (
        "." in stripped
        and not re.search(r"[ \t()\-/+]", stripped)
        and (len(groups) == 2 or (len(groups) == 4 and all(len(g) <= 3 for g in groups)))
        and not all(len(g) == 2 for g in groups)
    ):
        return raw
    international = stripped.startswith(("+", "00", "(+"))
    before = m.string[max(0, m.start() - 32) : m.start()]
    labelled = bool(_PHONE_LABEL_RE.search(before))
    if not (international or labelled) and len(digits) < 9:
        return raw
    # A long run of digits with no separator and no label is more likely an id or a number.
    if not (international or labelled) and len(groups) == 1 and len(digits) > 12:
        return raw
    lead = num[: len(num) - len(num.lstrip())]
    return lead + PHONE
