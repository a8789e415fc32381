from __future__ import annotations

import math

from django import template
from django.utils.translation import gettext as _

from custodywatch.kernels.risk import Contribution
from custodywatch.visits.risk_factors import LABELS

register = template.Library()


@register.filter
def factor_label(key: str) -> str:
    return str(LABELS[key].label)


@register.filter
def factor_unit(key: str) -> str:
    return str(LABELS[key].unit)


@register.filter
def factor_value(contribution: Contribution) -> str:
    """The raw value as a person reads it; never a number for what we do not know."""
    if contribution.value is None:
        return _("not available yet")
    if math.isinf(contribution.value):
        return _("never visited")
    return f"{contribution.value:.0f} {LABELS[contribution.key].unit}"


@register.filter
def percent_of(part: float, whole: float) -> str:
    """A CSS width: unlocalised, so a decimal comma never breaks the style."""
    return f"{100.0 * part / whole:.2f}" if whole else "0"
