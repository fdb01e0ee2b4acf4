"""The document layouts in templates/ (genexam.templates): exam and key for
Markdown, LaTeX and Typst. Their Jinja delimiters are << >>, <% %> and <# #>,
which neither TeX nor Typst uses, so the layouts read like the target format."""

from __future__ import annotations

import dataclasses
import functools

import jinja2

from ..errors import TemplateError
from .document import DocumentView
from .spec_text import latex_as_written, markdown_as_written

LAYOUTS = {"md": "exam.md.j2", "tex": "exam.tex.j2", "typ": "exam.typ.j2"}


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("genexam.templates", "."),
        block_start_string="<%", block_end_string="%>",
        variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>",
        undefined=jinja2.StrictUndefined,
        autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def render_layout(fmt: str, view: DocumentView) -> str:
    """Place a document view into the layout for ``fmt`` ('md', 'tex' or 'typ')."""
    name = LAYOUTS[fmt]
    view = _spec_text_as_written(fmt, view)
    try:
        return _environment().get_template(name).render(doc=view)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}:{exc.lineno}: layout template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: layout template error: {exc}") from None


def _spec_text_as_written(fmt: str, view: DocumentView) -> DocumentView:
    """The spec's own fields print as written (see render.spec_text): LaTeX's
    ligature pairs broken; the Markdown instructions' raw HTML and math escaped."""
    if fmt == "tex":
        return dataclasses.replace(view, **{name: latex_as_written(getattr(view, name))
                                            for name in ("title", "course", "date", "instructions")})
    if fmt == "md":
        return dataclasses.replace(view, instructions=markdown_as_written(view.instructions))
    return view
