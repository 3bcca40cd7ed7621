"""The rules of a place: those of the nearest region node with a ``RegionRule`` row, else the
defaults of domain/reference.md §6 (unit: 1 hour = 1 credit; volunteers 18+; redemption from
60; a storage cap of 1,500 hours with the excess donated (Nanjing); transfers to verified
relatives; donations to the pool; team hours only donated (Nanjing); redemption in the
district first, exchange wider where a region allows). Cash-out is not a rule: it does not
exist."""

from __future__ import annotations

from yiyang.timebank.models import RegionRule

DEFAULTS = RegionRule()  # the field defaults are reference.md §6's choices


def _prefixes(region_code: str) -> list[str]:
    """The codes of the node and its ancestors, nearest first (community → street → district → city)."""
    code = (region_code or "").ljust(12, "0")
    out = [code, code[:9] + "000", code[:6] + "000000", code[:4] + "00000000"]
    seen: list[str] = []
    for c in out:
        if c not in seen:
            seen.append(c)
    return seen


def rules_for(region_code: str) -> RegionRule:
    codes = _prefixes(region_code)
    found = {r.region_id: r for r in RegionRule.objects.filter(region_id__in=codes)}
    for code in codes:
        if code in found:
            return found[code]
    return DEFAULTS
