from __future__ import annotations

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def item(mapping: Mapping, key: str) -> object:
    return mapping.get(key) if mapping else None
