"""Source-only rule: does every claim of the summary come from the source text?

The reference prompt says "use only information from the following text". This metric splits a
summary into claims (sentences, and clauses where a sentence joins several facts with ";" or
", and"/", while"/", but") and checks each claim against the source with four kinds of evidence:

1. **Numbers** (:func:`extract_numbers`): amounts, percentages, money, years are normalized
   ("$1.2 billion" = "1,200 million" = 1.2e9; "37 percent" = "37%") and must occur in the source
   *in context*: the source occurrence must share content words with the claim around the number,
   and when the claim ties the number to a year ("37% ... in 2017") the source occurrence must be
   tied to the same year. A claim may round ("2.6 billion" for 2,634 million). Both ends of a range
   count ("sizes 14-26"), "six hundred and fifty" is 650, and the figures of a table in thousands
   are read at their full value, on the marker's line and the rows under it (version 12).
2. **Names** (:func:`extract_names`): capitalized spans (companies, products, places, exchanges,
   partners, months) must occur in the source as a phrase (case, punctuation and trademark signs
   ignored). Not names: a capitalised common word at a sentence start ("Shoppers", "Unfilled"), a
   compound adjective on an acronym ("AI-enabled" names "AI"). The company's own name, the first
   words of the name that introduces it ("Asta" for "Asta Funding, Inc."), is in context anywhere.
3. **Semantic support**: the claim is aligned to its most similar source sentence (and pairs of
   adjacent sentences) with the offline MiniLM encoder; lexical support is the share of the claim's
   content words (stemmed) found in the aligned passages and in the whole source.
4. **Polarity**: negation ("no customer" vs "a customer") and direction ("increased" vs
   "decreased") must agree with the aligned source passage.

A claim that says the source does not cover a focus area ("the text gives no details on
financing") is compliant when the source indeed says little about that area (its numbers and names
are still checked). The checks are combined into a probability of support by a logistic model (:data:`COEFFICIENTS`, hand-set and
led by semantic similarity; a model fitted on dev data was too lexical, see
``bench/results/calibration_fit.md``); a hard failure (unsupported number or name, flipped
negation or direction) makes a claim unsupported.

Values: ``source_only`` = share of checkable claims that are supported (0 for an empty summary),
``support_mean`` = mean support probability, ``support_min`` = lowest claim probability,
``claims``, ``unsupported_claims``, ``unsupported_numbers``, ``unsupported_names``.
"""

from bizsum.metrics.source_only.checks import check_names, check_numbers
from bizsum.metrics.source_only.metric import SourceOnlyMetric, score_summary
from bizsum.metrics.source_only.verdict import COEFFICIENTS, SUPPORT_THRESHOLD, ClaimCheck, check_claim

__all__ = [
    "COEFFICIENTS",
    "SUPPORT_THRESHOLD",
    "ClaimCheck",
    "SourceOnlyMetric",
    "check_claim",
    "check_names",
    "check_numbers",
    "score_summary",
]
