"""bizsum's Porter stemmer against nltk's (the reference it ports, and what rouge-score stems with)."""

from __future__ import annotations

import re

import pytest

from bizsum.nlp.porter import stem
from tests.helpers import ROOT

#: the paper's examples, nltk's irregular forms and extensions, and runs of 'y' (nltk's consonant rule)
TRICKY = [
    "caresses",
    "ponies",
    "ties",
    "caress",
    "cats",
    "feed",
    "agreed",
    "plastered",
    "bled",
    "motoring",
    "sing",
    "conflated",
    "troubled",
    "sized",
    "hopping",
    "tanned",
    "falling",
    "hissing",
    "fizzed",
    "failing",
    "filing",
    "happy",
    "sky",
    "skies",
    "dying",
    "lying",
    "tying",
    "news",
    "innings",
    "outings",
    "cannings",
    "howe",
    "proceed",
    "exceed",
    "succeed",
    "flies",
    "dies",
    "spied",
    "died",
    "enjoy",
    "relational",
    "conditional",
    "rational",
    "valenci",
    "hesitanci",
    "digitizer",
    "conformabli",
    "radicalli",
    "differentli",
    "vileli",
    "analogousli",
    "vietnamization",
    "predication",
    "operator",
    "feudalism",
    "decisiveness",
    "hopefulness",
    "callousness",
    "formaliti",
    "sensitiviti",
    "sensibiliti",
    "triplicate",
    "formative",
    "formalize",
    "electriciti",
    "electrical",
    "hopeful",
    "goodness",
    "revival",
    "allowance",
    "inference",
    "airliner",
    "gyroscopic",
    "adjustable",
    "defensible",
    "irritant",
    "replacement",
    "adjustment",
    "dependent",
    "adoption",
    "homologou",
    "communism",
    "activate",
    "angulariti",
    "homologous",
    "effective",
    "bowdlerize",
    "probate",
    "rate",
    "cease",
    "controll",
    "roll",
    "geology",
    "theology",
    "archaeology",
    "y",
    "yy",
    "yyyy",
    "syzygy",
    "toy",
    "by",
    "ivy",
    "eye",
    "aye",
    "yay",
    "playing",
    "played",
    "generously",
    "hopefulli",
    "a",
    "I",
    "USA",
    "Ponies",
    "CARESSES",
    "ied",
    "ies",
    "eed",
    "ing",
    "ed",
    "s",
    "ss",
    "sses",
]


def words_of_the_packaged_texts() -> set[str]:
    words: set[str] = set(TRICKY)
    paths = list((ROOT / "data" / "documents").glob("*.txt")) + list((ROOT / "data" / "validation").rglob("*.jsonl"))
    assert len(paths) > 60
    for path in paths:
        text = path.read_text(encoding="utf-8")
        words.update(re.findall(r"[a-z0-9]+", text.lower()))  # rouge-score's tokens
        words.update(re.findall(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]", text))  # bizsum.nlp.lexicon's words
    return words


@pytest.mark.slow
def test_every_word_of_the_packaged_texts_stems_as_nltk_stems_it():
    from nltk.stem.porter import PorterStemmer

    reference = PorterStemmer()
    words = words_of_the_packaged_texts()
    assert len(words) > 20_000
    differ = [(w, reference.stem(w), stem(w)) for w in sorted(words) if reference.stem(w) != stem(w)]
    assert differ == []


def test_known_stems():
    assert [stem(w) for w in ("caresses", "ponies", "hopping", "relational", "skies", "dying", "generously")] == [
        "caress",
        "poni",
        "hop",
        "relat",
        "sky",
        "die",
        "gener",
    ]
    assert stem("Revenues") == "revenu" and stem("at") == "at"
