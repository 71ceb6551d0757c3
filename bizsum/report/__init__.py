"""The HTML report: escaped building blocks, the report's sections, and the notebook export."""
