"""The corpus: documents with their manifest and references, prompt templates, and selectors."""

from bizsum.corpus.documents import Document, DocumentStore, read_text_file
from bizsum.corpus.prompts import PromptTemplate, load_template
from bizsum.corpus.select import select_documents

__all__ = ["Document", "DocumentStore", "PromptTemplate", "load_template", "read_text_file", "select_documents"]
