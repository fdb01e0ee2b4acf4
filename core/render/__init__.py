"""Turning solved instances into documents: Markdown assembly, batched pandoc
conversion, the LaTeX and Typst layouts, and PDF engines."""
