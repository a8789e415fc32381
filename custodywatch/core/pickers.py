"""Choosing one of thousands (facilities at national size) by typing any part of its name,
region or code. Without JavaScript it is a plain list; app.js adds a search box that narrows
the list as one types (select[data-searchable])."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SearchableSelect(forms.Select):
    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__({"data-searchable": "", **(attrs or {})})


class CodePickerField(forms.ModelChoiceField):
    """A model choice chosen by its code (the option values are codes, so a code typed into
    an API or a test is accepted too, in any letter case), labelled "name · code (region)"."""

    widget = SearchableSelect

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("error_messages", {
            "invalid_choice": _("Choose one of the list; no entry has this code.")})
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)

    def label_from_instance(self, obj) -> str:
        region = getattr(obj, "region", None)
        where = f" ({region.short_name})" if region is not None else ""
        return f"{getattr(obj, 'local_name', obj.name)} · {obj.code}{where}"
