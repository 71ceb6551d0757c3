"""Numbers in text: amounts, percentages, money and years, normalized so they can be compared.

"$1.2 billion" = "1,200 million" = 1.2e9; "37 percent" = "37%"; a number written with fewer
digits may round a more precise one ("2.6 billion" for 2,634 million).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "mm": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_WORD_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "one": 1,
    "a": 1,
    "half": 0.5,
}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
#: every way a month is written, lower-case, with the full month it names: "aug" -> "august"
MONTH_FORMS = {**{m: m for m in _MONTHS}, **{m[:3]: m for m in _MONTHS}, "sept": "september"}
_MONTH_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(MONTH_FORMS, key=len, reverse=True)) + r")\.?\s*$", re.IGNORECASE)


def day_of_month(text: str, num: Number) -> bool:
    """The number is the day of a date in ``text`` ("January 31, 1995")."""
    return num.value <= 31 and bool(_MONTH_BEFORE.search(text[max(0, num.start - 12) : num.start]))


#: four digits that are a year (1800-2099)
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
#: "six hundred and fifty", "a hundred and fifty", "nine hundred twenty-five": one number, not 600 and 50
_HUNDREDS = (
    rf"(?:a|{_UNITS})\s+hundred(?:\s+(?:and\s+)?(?:(?:{_TENS})(?:[- ](?:{_UNITS}))?|{_TEENS}|{_UNITS})\b)?"
    r"(?=\s|$|[^\w-])"
)
_NUM_RE = re.compile(
    r"(?<![\w.\-/])"
    r"(?P<cur>US\$|\$|€|£|USD\s?|EUR\s?|GBP\s?)?\s?"
    r"(?:(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<word>"
    + _HUNDREDS
    + "|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|(?:one|a|half a)(?=\s+(?:hundred|thousand|million|billion|trillion)\b)|hundreds|thousands|millions|billions|dozens?))"
    r"(?:\s?(?P<scale>hundred|thousand|million|millions|billion|billions|trillion|mn|mm|bn|tn|[kmb])\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|basis points\b|bps\b))?"
    r"(?P<dollars>\s(?:dollars|USD|euros?)\b)?"
    r"(?![\w/]|\.\d|(?<!illion)(?<!thousand)-)",  # "two billion-user products", not "10-K"
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Number:
    value: float
    kind: str  # pct | money | year | count
    text: str
    start: int
    end: int
    unit: float  # rounding unit of the number as written


def _precision_unit(digits: str, scale: float) -> float:
    digits = digits.replace(",", "")
    if "." in digits:
        decimals = len(digits.split(".")[1])
        return 10 ** (-decimals) * scale
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped) if stripped else 0
    return 10**zeros * scale


def _word_value(word: str) -> float | None:
    word = word.lower().replace("-", " ")
    if word in ("hundreds", "thousands", "millions", "billions", "dozens"):
        return None  # vague quantities are not checked
    parts = [p for p in word.split() if p != "and"]
    if parts[:2] == ["half", "a"]:
        return 0.5
    total = 0.0
    for p in parts:
        if p not in _WORD_NUMBERS:
            return None
        if p == "hundred" and total:
            total *= 100  # "six hundred and fifty": 6 x 100 + 50
        else:
            total += _WORD_NUMBERS[p]
    return total


def extract_numbers(text: str) -> list[Number]:
    """Normalized numbers with kind (pct, money, year, count); item numbers like 10-K are skipped."""
    out: list[Number] = []
    for m in _NUM_RE.finditer(text):
        cur, num, word, scale_w, pct, dollars = (m.group(g) for g in ("cur", "num", "word", "scale", "pct", "dollars"))
        scale = 1.0
        if scale_w:
            s = scale_w.lower()
            if s in ("m", "b", "k") and not (cur or dollars) and not (num and "." in num):
                # "5m" without a currency is ambiguous (5 metres?): accept only with a currency
                scale_w = None
                s = ""
            scale = _SCALES.get(s, 1.0)
        if num is not None:
            try:
                base = float(num.replace(",", ""))
            except ValueError:
                continue
            unit = _precision_unit(num, scale)
        else:
            wv = _word_value(word)
            if wv is None:
                continue
            base = wv
            unit = scale if scale > 1 else 1.0
            if word.lower().endswith("hundred"):  # "nine hundred" rounds to the hundred
                unit *= 100
            if word.lower() in ("a", "one") and scale == 1.0:
                continue
        value = base * scale
        raw = m.group(0).strip()
        if pct:
            kind = (
                "pct"
                if "point" not in pct.lower() and "basis" not in pct.lower() and "bps" not in pct.lower()
                else "pp"
            )
        elif cur or dollars:
            kind = "money"
        elif num and _YEAR.fullmatch(num) and not scale_w:
            kind = "year"
            unit = 1.0
        else:
            kind = "count"
        # skip lone small integers used as list markers / section references ("Item 1", "Note 3")
        before = text[max(0, m.start() - 12) : m.start()].lower()
        if kind == "count" and re.search(
            r"(item|note|part|section|form|page|schedule|rule|tier|level|class|phase|chapter|exhibit|no\.)\s*$", before
        ):
            continue
        # plain single-digit numerals carry little signal unless they are words ("six minutes") or pct/money
        out.append(Number(value=value, kind=kind, text=raw, start=m.start(), end=m.end(), unit=unit))
    out += _range_ends(text)
    fractions = _fractions_of_a_scale(text)
    if fractions:  # "a quarter of a billion dollars" is 250 million, not a billion
        out = [num for num in out if not any(f.start <= num.start < f.end for f in fractions)] + fractions
    return sorted(out, key=lambda num: num.start)


_DENOMINATORS = {"half": 2, "third": 3, "quarter": 4, "fifth": 5, "sixth": 6, "eighth": 8, "tenth": 10}
#: "a quarter of a billion dollars", "two-thirds of a million", "half a billion"
_FRACTION_OF_SCALE = re.compile(
    r"\b(?:(?P<n>a|one|two|three|four)[- ](?P<d>half|halves|thirds?|quarters?|fifths?|sixths?|eighths?|tenths?)\s+of"
    r"|(?P<half>half))\s+(?:a|one)\s+(?P<scale>million|billion|trillion)\b(?P<dollars>\s+dollars\b)?",
    re.IGNORECASE,
)


def _fractions_of_a_scale(text: str) -> list[Number]:
    """A fraction of a million, billion or trillion, as one number whose rounding unit is that
    fraction ("nearly a quarter of a billion dollars" restates $243.6 million)."""
    out = []
    for m in _FRACTION_OF_SCALE.finditer(text):
        numerator: float = 1  # "half a billion"
        denominator = 2
        if m.group("d"):
            numerator = _WORD_NUMBERS[m.group("n").lower()]
            word = m.group("d").lower()
            denominator = 2 if word.startswith("hal") else _DENOMINATORS[word.rstrip("s")]
        fraction = numerator / denominator
        scale = _SCALES[m.group("scale").lower()]
        money = bool(m.group("dollars")) or text[max(0, m.start() - 1) : m.start()] == "$"
        unit = scale / denominator
        out.append(Number(fraction * scale, "money" if money else "count", m.group(0), m.start(), m.end(), unit))
    return out


#: "sizes 14-26", "ages 25-50", "10-15%": both ends of a hyphenated range of plain numerals (not
#: "10-K", not "1-800-555-0100", not a date "12-31-2020"; an en dash range is read by _NUM_RE already)
_RANGE_RE = re.compile(
    r"(?<![\w.\-/$€£])(?P<a>\d{1,3}(?:,\d{3})+|\d+)-(?P<b>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?P<pct>\s?%|\s?percent\b)?(?![\w/]|\.\d|[-–]\d)"
)


def _range_ends(text: str) -> list[Number]:
    out = []
    for m in _RANGE_RE.finditer(text):
        first_is_year = _YEAR.fullmatch(m.group("a")) is not None
        for group in ("a", "b"):
            digits = m.group(group)
            value = float(digits.replace(",", ""))
            if m.group("pct"):
                kind = "pct"
            elif _YEAR.fullmatch(digits):
                kind = "year"
            elif group == "b" and first_is_year and len(digits) == 2:
                kind = "year"  # "fiscal 1994-95", "2023-24": the second year's last digits
                value = float(m.group("a")[:2] + digits)
            else:
                kind = "count"
            unit = 1.0 if kind == "year" else _precision_unit(digits, 1.0)
            out.append(Number(value, kind, digits, m.start(group), m.end(group), unit))
    return out


def kinds_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    return {a, b} in ({"money", "count"}, {"year", "count"})


def numbers_equal(claim: Number, source: Number) -> bool:
    if not kinds_compatible(claim.kind, source.kind):
        return False
    if source.value == claim.value:
        return True
    # the claim may be a rounded version of the source number ("2.6 billion" for 2,634 million)
    tolerance = 0.5 * claim.unit + 1e-9 * max(1.0, abs(claim.value))
    return bool(claim.kind != "year" and abs(source.value - claim.value) <= tolerance and claim.value != 0)
