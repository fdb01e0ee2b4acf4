"""The plugin manager factory and the family registry.

Nothing is built at import time: :func:`get_plugin_manager` adds the hook
specs, loads the ``genexam`` entry-point group, then registers the built-in
families as an ordinary plugin -- the same path a third-party package takes.

A broken third-party plugin (it fails to import, its hook raises, a family has
no template or reuses a name) never stops genexam: it is left out, and the
registry keeps one message per failure, naming the package and how to mend
it. The CLI prints those once as warnings; a spec that asks for a family the
broken plugin provides fails with the same message at its ``family:`` key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pluggy

from . import hookspecs
from .errors import GenexamError, did_you_mean
from .family import Family

ENTRY_POINT_GROUP = "genexam"
BUILTIN_PREFIX = "genexam.plugins."


@dataclass(frozen=True)
class PluginFailure:
    """A plugin (or one family of it) that could not be used.

    ``families`` are the family names it was meant to provide, when known
    (an import error leaves only the entry point's name)."""

    plugin: str
    message: str
    families: tuple[str, ...] = ()


@dataclass
class LoadedPlugins:
    """The plugin manager, where each third-party plugin came from, and the
    plugins that failed to import."""

    pm: pluggy.PluginManager
    #: plugin name -> "'name = module' (package dist version)"
    sources: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def describe(self, plugin_name: str) -> str:
        return self.sources.get(plugin_name, f"'{plugin_name}'")


def get_plugin_manager(extra_plugins: Iterable[object] = ()) -> pluggy.PluginManager:
    """A plugin manager with the entry-point plugins, the built-ins and
    ``extra_plugins``; plugins that fail to import are left out (see
    :func:`load_plugins` for the failures)."""
    return load_plugins(extra_plugins).pm


def load_plugins(extra_plugins: Iterable[object] = ()) -> LoadedPlugins:
    """Load the ``genexam`` entry points one by one -- a failing one is
    recorded and skipped, so it cannot take the others down -- then the
    built-in families and ``extra_plugins``."""
    import importlib.metadata

    pm = pluggy.PluginManager("genexam")
    pm.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(pm)
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            source = f"'{ep.name} = {ep.value}' (package {dist.metadata['Name']} {dist.version})"
            loaded.sources[ep.name] = source
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:  # third-party code failed: name the plugin and where, not a genexam traceback
                loaded.failures.append(PluginFailure(
                    ep.name, f"cannot load the plugin {source}: {_where_raised(exc)}; "
                             "fix it, or uninstall the package that provides it", (ep.name,)))
    for module in _builtin_modules():
        pm.register(module)
    for plugin in extra_plugins:
        pm.register(plugin)
    return loaded


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

    return [importlib.import_module(f"{BUILTIN_PREFIX}{name}") for name in BUILTIN_PLUGINS]


@dataclass
class Registry:
    """Families by name, the template filters plugins add, which plugin
    provides each family, and the plugins that could not be used."""

    families: dict[str, type[Family]]
    filters: dict[str, Callable[..., Any]]
    #: family name -> the plugin that provides it (a module name for built-ins,
    #: else "'entry = module' (package dist version)").
    owners: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def get(self, name: str) -> type[Family]:
        """The family called ``name``, or an error with the closest name (or
        why the plugin that provides it could not be used)."""
        try:
            return self.families[name]
        except KeyError:
            raise GenexamError(self.unknown(name)) from None

    def unknown(self, name: str) -> str:
        """The message for a family name that is not available."""
        broken = self.failure_for(name)
        if broken is not None:
            return f"family '{name}' is not available: {broken.message}"
        failed = "".join(f"; a plugin that may provide it failed: {f.message}" for f in self.failures
                         if not f.families or f.families == (f.plugin,))
        return (f"unknown family '{name}'{did_you_mean(name, self.families)}; "
                f"`genexam list` shows the {len(self.families)} installed families{failed}")

    def failure_for(self, name: str) -> PluginFailure | None:
        """The failure that took family ``name`` out, if one did."""
        return next((f for f in self.failures if name in f.families), None)

    def is_builtin(self, name: str) -> bool:
        return self.owners.get(name, "").startswith(BUILTIN_PREFIX)

    @property
    def warnings(self) -> list[str]:
        """One line per failed plugin, for the CLI to print once."""
        return [f.message for f in self.failures]


def build_registry(pm: pluggy.PluginManager | LoadedPlugins | None = None) -> Registry:
    """Collect every plugin's families and filters into a :class:`Registry`,
    leaving out (and recording) what a broken plugin provides."""
    loaded = pm if isinstance(pm, LoadedPlugins) else LoadedPlugins(pm) if pm is not None else load_plugins()
    failures = list(loaded.failures)
    families: dict[str, type[Family]] = {}
    owners: dict[str, str] = {}
    clashes: dict[str, list[str]] = {}
    for impl in loaded.pm.hook.genexam_families.get_hookimpls():
        plugin = loaded.describe(impl.plugin_name)
        try:
            provided = list(impl.function() or ())
        except Exception as exc:
            failures.append(PluginFailure(impl.plugin_name, f"the plugin {plugin} failed in genexam_families(): "
                                                            f"{_where_raised(exc)}; fix it, or uninstall the package "
                                                            "that provides it", (impl.plugin_name,)))
            continue
        for family in provided:
            try:
                _verify_family(family, plugin)
            except GenexamError as exc:
                name = getattr(family, "name", None)
                failures.append(PluginFailure(impl.plugin_name, str(exc), (name,) if isinstance(name, str) else ()))
                continue
            if family.name in families and families[family.name] is not family:
                clashes.setdefault(family.name, [owners[family.name]]).append(impl.plugin_name)
                if impl.plugin_name.startswith(BUILTIN_PREFIX):  # a built-in name stays with the built-in
                    families[family.name], owners[family.name] = family, impl.plugin_name
                continue
            families[family.name] = family
            owners[family.name] = impl.plugin_name
    for name, plugins in clashes.items():
        builtin = next((p for p in plugins if p.startswith(BUILTIN_PREFIX)), None)
        if builtin is None:  # between third-party plugins, neither can be chosen
            families.pop(name)
            owners.pop(name)
        kept = "; the built-in one is used" if builtin else ""
        third_party = [p for p in plugins if p != builtin]
        failures.append(PluginFailure(third_party[-1], f"two plugins define the family '{name}': "
                                                       f"{' and '.join(loaded.describe(p) for p in plugins)}{kept}; "
                                                       "uninstall one, or rename its family",
                                      () if builtin else (name,)))
    filters: dict[str, Callable[..., Any]] = {}
    for impl in loaded.pm.hook.genexam_template_filters.get_hookimpls():
        try:
            filters.update(impl.function() or {})
        except Exception as exc:
            failures.append(PluginFailure(impl.plugin_name, f"the plugin {loaded.describe(impl.plugin_name)} failed "
                                                            f"in genexam_template_filters(): {_where_raised(exc)}; "
                                                            "fix it, or uninstall the package that provides it"))
    return Registry(dict(sorted(families.items())), filters,
                    {name: loaded.describe(owner) if not owner.startswith(BUILTIN_PREFIX) else owner
                     for name, owner in owners.items()}, failures)


def _verify_family(family: Any, plugin: str) -> None:
    """Catch a malformed plugin at load time, naming the plugin and what is missing."""
    if not (isinstance(family, type) and issubclass(family, Family)):
        raise GenexamError(f"the plugin {plugin} returned {family!r} from genexam_families; "
                           "expected a Family subclass")
    for attr in ("name", "title", "params", "parts"):
        if not hasattr(family, attr):
            raise GenexamError(f"family {family.__qualname__} in the plugin {plugin} does not set '{attr}'")
    from .templating import RESERVED_NAMES

    clash = sorted(set(family.param_names()) & set(RESERVED_NAMES))
    if clash:
        raise GenexamError(f"family '{family.name}' (plugin {plugin}) names a parameter {clash[0]!r}, "
                           f"which templates use for something else; rename it")
    if not family.template_path().is_file():
        raise GenexamError(
            f"family '{family.name}' (plugin {plugin}) has no template at {family.template_path()}; "
            "create it with blocks 'statement', 'part_<id>' and 'solution_<id>' (in a package, list it "
            "as package data: [tool.setuptools.package-data] in pyproject.toml)"
        )
