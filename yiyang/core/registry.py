"""Registries: where an app plugs itself into the shared pages and commands.

An app declares, in its ``AppConfig.ready``, the navigation items, home-page tiles and
sections and the demo builder it contributes; the base layout, the home page and
``yiyang demo`` read these lists and know no app by name. (Django's admin finds every
app's ``admin.py`` the same way; the elder page has its own registry of sections in
``elders.registry``.)

Each entry is a plain frozen dataclass; ``register_*`` refuses a second entry with the
same key, so two apps cannot silently claim one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.urls import reverse

from yiyang.core.access import has_capability


@dataclass(frozen=True)
class NavItem:
    """A link in the top navigation, shown to users holding ``capability`` (any user when
    empty; staff only when ``staff_only``). The item is "current" on pages of ``namespaces``
    (and not on ``exclude_url_names`` of them)."""

    key: str
    label: Any
    url_name: str
    order: int
    capability: str = ""
    namespaces: tuple[str, ...] = ()
    exclude_url_names: tuple[str, ...] = ()
    only_url_names: tuple[str, ...] = ()
    staff_only: bool = False


@dataclass(frozen=True)
class HomeTile:
    """A big button on the home page. ``value`` returns the number shown (or None for an
    action tile, which shows ``symbol``)."""

    key: str
    label: Any
    url_name: str
    order: int
    capability: str = ""
    value: Callable[[Any], Any] | None = None
    symbol: str = ""
    query: str = ""  # appended to the URL, e.g. "status=submitted"


@dataclass(frozen=True)
class PageSection:
    """A section of a shared page: ``context(request, *args)`` returns the template's
    context, or None when the section has nothing for this user."""

    key: str
    template: str
    order: int
    context: Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class DemoBuilder:
    """Builds one app's part of the demo district. ``build(ctx)`` gets a ``DemoContext``
    and returns a line for the operator (or ""); ``after`` names the builders it needs."""

    key: str
    build: Callable[[DemoContext], str]
    after: tuple[str, ...] = ()
    summary: Callable[[DemoContext], str] | None = None


@dataclass
class DemoContext:
    seed: int
    elders: int
    port: str = "8000"
    # What one builder leaves for the next (e.g. the hashed demo password).
    shared: dict[str, Any] = field(default_factory=dict)


T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str):
        self.name = name
        self._items: dict[str, T] = {}

    def add(self, item: T) -> T:
        key = item.key  # type: ignore[attr-defined]
        if key in self._items and self._items[key] != item:
            raise ValueError(f"{self.name}: {key!r} registered twice")
        self._items[key] = item
        return item

    def __iter__(self):
        return iter(sorted(self._items.values(), key=lambda i: (getattr(i, "order", 0), i.key)))  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> T | None:
        return self._items.get(key)


NAV = Registry[NavItem]("navigation")
HOME_TILES = Registry[HomeTile]("home tiles")
HOME_SECTIONS = Registry[PageSection]("home sections")
DEMO_BUILDERS = Registry[DemoBuilder]("demo builders")


def register_nav(item: NavItem) -> None:
    NAV.add(item)


def register_home_tile(tile: HomeTile) -> None:
    HOME_TILES.add(tile)


def register_home_section(section: PageSection) -> None:
    HOME_SECTIONS.add(section)


def register_demo(builder: DemoBuilder) -> None:
    DEMO_BUILDERS.add(builder)


def nav_for(request: Any) -> list[dict[str, Any]]:
    user = request.user
    match = getattr(request, "resolver_match", None)
    ns, url_name = (match.namespace, match.url_name) if match else ("", "")
    items = []
    for item in NAV:
        if item.staff_only and not user.is_staff:
            continue
        if item.capability and not has_capability(user, item.capability):
            continue
        current = (ns in item.namespaces and url_name not in item.exclude_url_names
                   and (not item.only_url_names or url_name in item.only_url_names))
        items.append({"label": item.label, "url": reverse(item.url_name), "current": current})
    return items


def home_tiles_for(request: Any) -> list[dict[str, Any]]:
    tiles = []
    for tile in HOME_TILES:
        if tile.capability and not has_capability(request.user, tile.capability):
            continue
        value = tile.value(request) if tile.value else None
        url = reverse(tile.url_name) + (f"?{tile.query}" if tile.query else "")
        tiles.append({"label": tile.label, "url": url, "value": value,
                      "symbol": tile.symbol, "action": tile.value is None})
    return tiles


def sections_for(registry: Registry[PageSection], request: Any, *args: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for section in registry:
        context = section.context(request, *args)
        if context is not None:
            out.append((section.template, context))
    return out


def demo_order(builders: Iterable[DemoBuilder] | None = None) -> list[DemoBuilder]:
    """The builders sorted so that each runs after those it names in ``after``
    (stable: by key among equals). A missing or circular dependency is an error."""
    pending = {b.key: b for b in (builders if builders is not None else DEMO_BUILDERS)}
    for b in pending.values():
        for dep in b.after:
            if dep not in pending:
                raise ValueError(f"demo builder {b.key!r} needs {dep!r}, which is not installed")
    done: list[DemoBuilder] = []
    placed: set[str] = set()
    while pending:
        ready = sorted(k for k, b in pending.items() if set(b.after) <= placed)
        if not ready:
            raise ValueError(f"demo builders depend on each other in a circle: {sorted(pending)}")
        for k in ready:
            done.append(pending.pop(k))
            placed.add(k)
    return done
