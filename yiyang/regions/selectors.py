"""Reads of the region tree."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yiyang.regions.codes import prefix_range
from yiyang.regions.models import Region


def region_subtree_q(prefix: str, field: str = "region") -> Q:
    """Q matching rows whose ``<field>`` code lies in the subtree with ``prefix``."""
    lo, hi = prefix_range(prefix)
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


def region_subtree(node: Region) -> QuerySet[Region]:
    lo, hi = prefix_range(node.prefix)
    return Region.objects.filter(code__gte=lo, code__lt=hi)


def region_communities(node: Region) -> QuerySet[Region]:
    return region_subtree(node).filter(level=Region.Level.COMMUNITY, active=True).select_related("parent")


def region_ancestors(node: Region) -> list[Region]:
    chain: list[Region] = []
    current: Region | None = node
    while current is not None and current.parent_id:
        current = current.parent
        if current is not None:
            chain.append(current)
    return list(reversed(chain))
