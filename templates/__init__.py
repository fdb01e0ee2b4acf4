"""Document layouts (exam and key) for Markdown, LaTeX and Typst, rendered by genexam.render.layout."""
