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
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for module in _builtin_modules():
        pm.register(module)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


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
