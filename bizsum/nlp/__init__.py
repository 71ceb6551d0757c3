"""Language tools every stage shares: text normalization, sentences, token counts, offline
encoders, words and stems, numbers, names, claims, focus areas and the per-document source index.

Nothing here knows about runs, providers or metrics; every metric reads these, and no metric
imports another.
"""
