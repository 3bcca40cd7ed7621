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
    # A count shown beside the label (e.g. visits due today); None or 0 shows nothing.
    badge: Callable[[Any], int | None] | None = None


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
class TodoRow:
    """One thing to do today: an elder to visit, a follow-up, an errand."""

    title: str
    detail: str
    url: str
    overdue: bool = False


@dataclass(frozen=True)
class TodoItems:
    """What a to-do list holds for this user: the whole count, the page with all of them,
    and the first rows (the home page shows a handful; ``url`` shows the rest)."""

    count: int
    url: str
    rows: list[TodoRow]


@dataclass(frozen=True)
class TodoList:
    """A list on the worker's home page ("今天要做的事"). ``items(request)`` returns None
    when the list does not apply to this user, and ``TodoItems(count=0, …)`` when it applies
    but is empty (the page then says so, so the worker knows it was looked at)."""

    key: str
    label: Any
    order: int
    items: Callable[[Any], TodoItems | None]
    capability: str = ""


@dataclass(frozen=True)
class FigureValue:
    """One cell of the supervisor's table: ``value`` is the number (for sorting and the
    export), ``text`` what is shown, ``url`` the list of records behind the number."""

    value: float | int | None
    text: str
    url: str = ""


@dataclass(frozen=True)
class RegionFigure:
    """A column of the supervisor's per-region table. ``compute(user, regions, month_start)``
    gets the child regions of the caller's node (each with ``.code``, ``.prefix``, ``.name``)
    and the first day of the month, and returns ``{region.code: FigureValue}``; a missing
    code shows as empty. One call per column, not per cell: compute with grouped queries."""

    key: str
    label: Any
    order: int
    compute: Callable[[Any, list[Any], Any], dict[str, FigureValue]]
    capability: str = ""
    help: Any = ""


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
TODO_LISTS = Registry[TodoList]("to-do lists")
REGION_FIGURES = Registry[RegionFigure]("region figures")


def register_nav(item: NavItem) -> None:
    NAV.add(item)


def register_home_tile(tile: HomeTile) -> None:
    HOME_TILES.add(tile)


def register_home_section(section: PageSection) -> None:
    HOME_SECTIONS.add(section)


def register_demo(builder: DemoBuilder) -> None:
    DEMO_BUILDERS.add(builder)


def register_todo(todo: TodoList) -> None:
    TODO_LISTS.add(todo)


def register_region_figure(figure: RegionFigure) -> None:
    REGION_FIGURES.add(figure)


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
        badge = item.badge(request) if item.badge else None
        items.append({"label": item.label, "url": reverse(item.url_name), "current": current,
                      "badge": badge or None})
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


def todos_for(request: Any) -> list[dict[str, Any]]:
    """The to-do lists that apply to this user, in order."""
    out = []
    for todo in TODO_LISTS:
        if todo.capability and not has_capability(request.user, todo.capability):
            continue
        items = todo.items(request)
        if items is not None:
            out.append({"key": todo.key, "label": todo.label, "count": items.count, "url": items.url,
                        "rows": items.rows, "more": max(items.count - len(items.rows), 0)})
    return out


def region_figures_for(user: Any) -> list[RegionFigure]:
    return [f for f in REGION_FIGURES if not f.capability or has_capability(user, f.capability)]


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
