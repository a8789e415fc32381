"""Sections that apps above the registry add to its facility pages, which it does not import.

An app registers a section in its AppConfig.ready (video: the coverage rule and the open
coverage incidents on a facility's cameras page, video/camera_map.py). A section is called
with the request and the facility, already checked to be in the reader's scope, and returns
its HTML (rendered from the app's own template) or "" to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from custodywatch.registry.models import Facility

Section = Callable[[HttpRequest, "Facility"], str]
_camera_page: list[Section] = []


def register_camera_page_section(section: Section) -> None:
    if section not in _camera_page:
        _camera_page.append(section)


def camera_page_sections(request: HttpRequest, facility: Facility) -> list[SafeString]:
    """The registered sections of a facility's cameras page, in registration order."""
    return [SafeString(html) for section in _camera_page if (html := section(request, facility))]
