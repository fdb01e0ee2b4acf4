"""Rendering a family's template into Markdown fragments.

A family template has a block ``statement`` and, for each part, blocks
``part_<id>`` (the question) and ``solution_<id>`` (the worked answer). It
sees every parameter by name, plus ``params``, ``answers``, ``work`` (the
solution's worked steps) and ``parts`` (the part ids asked). Errors name the
template file and line.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import jinja2

from .errors import TemplateError
from .family import Family
from .instances import Instance, instance_key
from .texfilters import FILTERS

#: Names a template sees besides the parameters; no parameter may use them.
RESERVED_NAMES = ("params", "answers", "work", "parts", "part", "figure")


@dataclass(frozen=True)
class PartText:
    id: str
    statement: str
    solution: str


@dataclass(frozen=True)
class ProblemText:
    """An instance's statement and parts as Markdown with TeX math."""

    statement: str
    parts: tuple[PartText, ...]


def _load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    path = Path(name)
    if not path.is_file():
        return None  # Jinja raises TemplateNotFound, naming the template
    return path.read_text(encoding="utf-8"), str(path), lambda: True


@functools.lru_cache(maxsize=8)
def _environment(filters: tuple[tuple[str, Callable[..., Any]], ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["zip"] = zip
    env.filters.update(FILTERS)
    env.filters.update(dict(filters))
    return env


def template_for(family: type[Family], extra_filters: Mapping[str, Callable[..., Any]] | None = None) -> jinja2.Template:
    """The compiled template of ``family``; syntax errors name file and line."""
    env = _environment(tuple(sorted((extra_filters or {}).items())))
    path = family.template_path()
    try:
        template = env.get_template(str(path))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or path}:{exc.lineno}: template error in family "
                            f"'{family.name}': {exc.message}") from None
    except (OSError, jinja2.TemplateNotFound) as exc:
        raise TemplateError(f"{path}: cannot read the template of family '{family.name}': {exc}") from None
    missing = [b for b in _required_blocks(family)
               if b not in template.blocks and b.split("_", 1)[0] not in template.blocks]
    if missing:
        raise TemplateError(f"{path}: template of family '{family.name}' lacks the blocks "
                            f"{', '.join(missing)}; add {{% block {missing[0]} %}}...{{% endblock %}}")
    return template


def _required_blocks(family: type[Family]) -> list[str]:
    return ["statement"] + [f"{kind}_{p}" for p in family.part_ids() for kind in ("part", "solution")]


def _block_for(template: jinja2.Template, kind: str, part: str) -> str:
    """``part_<id>``, or the generic ``part`` block (which reads the variable
    ``part``) in a family whose parts vary, such as question_bank."""
    specific = f"{kind}_{part}"
    return specific if specific in template.blocks or kind not in template.blocks else kind


def figure_path(family: type[Family], name: str, svg: str) -> str:
    """Where a figure lives in the output, relative to the documents. Named by
    content, so versions that share an instance share the file, and a
    rebuild gives the same name."""
    digest = hashlib.sha256(svg.encode("utf-8")).hexdigest()[:12]
    return f"figures/{family.name}-{name}-{digest}.svg"


def instance_figures(instance: Instance) -> dict[str, str]:
    """Every figure an instance can show: output path -> SVG text."""
    return {figure_path(instance.family, name, svg): svg for name, svg in instance.solution.figures.items()}


def render_problem(instance: Instance, extra_filters: Mapping[str, Callable[..., Any]] | None = None) -> ProblemText:
    """Render statement, parts and solutions of one instance as Markdown."""
    family = instance.family
    template = template_for(family, extra_filters)
    figures = instance.solution.figures

    def figure(name: str, caption: str = "") -> str:
        """A figure of the solution as a Markdown image paragraph (pandoc makes it a captioned figure)."""
        if name not in figures:
            raise LookupError(f"figure({name!r}): the solution has no such figure; it has {sorted(figures) or 'none'}")
        return f"\n\n![{caption}]({figure_path(family, name, figures[name])})\n\n"

    context = dict(instance.params)
    context.update(
        params=instance.params,
        answers=instance.solution.answers,
        work=instance.solution.steps,
        parts=instance.problem.parts,
        figure=figure,
    )

    def block(name: str, part: str | None = None) -> str:
        try:
            local = context if part is None else {**context, "part": part}
            return "".join(template.blocks[name](template.new_context(local))).strip()
        except jinja2.TemplateError as exc:
            detail = f"no template file {exc.name!r}" if isinstance(exc, jinja2.TemplateNotFound) else str(exc)
            raise TemplateError(f"{_template_line(exc, template)}: template error in family "
                                f"'{family.name}', block '{name}': {detail}") from None
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            # An expression or filter in the template failed, e.g. `{{ n / 0 }}` or `{{ n|rowvec }}` on a number.
            raise TemplateError(f"{_template_line(exc, template)}: template error in family "
                                f"'{family.name}', block '{name}': {type(exc).__name__}: {exc}") from None

    parts = tuple(PartText(p, block(_block_for(template, "part", p), p), block(_block_for(template, "solution", p), p))
                  for p in instance.problem.parts)
    return ProblemText(block("statement"), parts)


def render_versions(versions: Mapping[str, Sequence[Instance]],
                    extra_filters: Mapping[str, Callable[..., Any]] | None = None) -> dict[str, list[ProblemText]]:
    """Render every instance of every version (label -> texts in problem
    order); an instance that recurs across versions is rendered once."""
    memo: dict[tuple[Any, ...], ProblemText] = {}
    out: dict[str, list[ProblemText]] = {}
    for label, instances in versions.items():
        out[label] = []
        for instance in instances:
            key = (instance_key(instance.family, instance.params), instance.problem.parts)
            if key not in memo:
                memo[key] = render_problem(instance, extra_filters)
            out[label].append(memo[key])
    return out


def _template_line(exc: BaseException, template: jinja2.Template) -> str:
    """file:line of the innermost template frame in the traceback.

    Blocks are called directly, so Jinja has not rewritten the traceback: its
    frames carry lines of the compiled Python, which each template maps back."""
    where = str(template.filename)
    tb = exc.__traceback__
    while tb is not None:
        compiled = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(compiled, jinja2.Template):
            where = f"{compiled.filename}:{compiled.get_corresponding_lineno(tb.tb_lineno)}"
        tb = tb.tb_next
    return where
