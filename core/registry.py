"""The plugin manager factory and the family registry.

Nothing is built at import time: :func:`get_plugin_manager` adds the hook
specs, loads the ``genexam`` entry-point group, then registers the built-in
families as an ordinary plugin -- the same path a third-party package takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pluggy

from . import hookspecs
from .errors import GenexamError, did_you_mean
from .family import Family

ENTRY_POINT_GROUP = "genexam"


def get_plugin_manager(extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """A plugin manager with the entry-point plugins, the built-ins and ``extra_plugins``."""
    pm = pluggy.PluginManager("genexam")
    pm.add_hookspecs(hookspecs)
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except Exception as exc:  # third-party code failed: name the plugin and where, not a genexam traceback
        raise GenexamError(f"cannot load the plugin {_unloaded_entry_point(pm)}: {_where_raised(exc)}; "
                           "fix it, or uninstall the package that provides it") from None
    for module in _builtin_modules():
        pm.register(module)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


def _unloaded_entry_point(pm: pluggy.PluginManager) -> str:
    """The first entry point of the group not registered: the one that failed
    (pluggy loads them in this order and stops at the first error)."""
    import importlib.metadata

    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP and not pm.has_plugin(ep.name) and not pm.is_blocked(ep.name):
                return f"'{ep.name} = {ep.value}' (package {dist.metadata['Name']} {dist.version})"
    return f"of the '{ENTRY_POINT_GROUP}' entry-point group"


def _where_raised(exc: BaseException) -> str:
    """``file:line: Type: message`` at the innermost frame of the plugin's own code
    (outside the import machinery and genexam)."""
    import importlib
    import traceback
    from pathlib import Path

    what = f"{type(exc).__name__}: {exc.msg if isinstance(exc, SyntaxError) else exc}"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}: {what}"
    machinery = (Path(importlib.__file__).parent, Path(pluggy.__file__).parent, Path(__file__).parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")
              and not any(Path(f.filename).is_relative_to(m) for m in machinery)]
    return f"{frames[-1].filename}:{frames[-1].lineno}: {what}" if frames else what


def _builtin_modules() -> list[object]:
    import importlib

    from .plugins import BUILTIN_PLUGINS

    return [importlib.import_module(f"genexam.plugins.{name}") for name in BUILTIN_PLUGINS]


@dataclass
class Registry:
    """Families by name, and the template filters plugins add."""

    families: dict[str, type[Family]]
    filters: dict[str, Callable[..., Any]]

    def get(self, name: str) -> type[Family]:
        """The family called ``name``, or an error with the closest name."""
        try:
            return self.families[name]
        except KeyError:
            raise GenexamError(
                f"unknown family '{name}'{did_you_mean(name, self.families)}; "
                f"`genexam list` shows the {len(self.families)} installed families"
            ) from None


def build_registry(pm: pluggy.PluginManager | None = None) -> Registry:
    """Collect every plugin's families and filters into a :class:`Registry`."""
    pm = pm or get_plugin_manager()
    families: dict[str, type[Family]] = {}
    owners: dict[str, str] = {}
    for impl in pm.hook.genexam_families.get_hookimpls():
        for family in impl.function() or ():
            _verify_family(family, impl.plugin_name)
            if family.name in families and families[family.name] is not family:
                raise GenexamError(
                    f"two plugins define the family '{family.name}': {owners[family.name]} and "
                    f"{impl.plugin_name}; uninstall one or rename its family"
                )
            families[family.name] = family
            owners[family.name] = impl.plugin_name
    filters: dict[str, Callable[..., Any]] = {}
    for extra in pm.hook.genexam_template_filters():
        filters.update(extra or {})
    return Registry(dict(sorted(families.items())), filters)


def _verify_family(family: Any, plugin: str) -> None:
    """Catch a malformed plugin at load time, naming the plugin and what is missing."""
    if not (isinstance(family, type) and issubclass(family, Family)):
        raise GenexamError(f"plugin {plugin} returned {family!r} from genexam_families; expected a Family subclass")
    for attr in ("name", "title", "params", "parts"):
        if not hasattr(family, attr):
            raise GenexamError(f"family {family.__qualname__} in plugin {plugin} does not set '{attr}'")
    from .templating import RESERVED_NAMES

    clash = sorted(set(family.param_names()) & set(RESERVED_NAMES))
    if clash:
        raise GenexamError(f"family '{family.name}' (plugin {plugin}) names a parameter {clash[0]!r}, "
                           f"which templates use for something else; rename it")
    if not family.template_path().is_file():
        raise GenexamError(
            f"family '{family.name}' (plugin {plugin}) has no template at {family.template_path()}; "
            "create it with blocks 'statement', 'part_<id>' and 'solution_<id>'"
        )
