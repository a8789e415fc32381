"""The languages of the people held: the kiosk, the complaint status page and the rights
leaflet are also in Kyrgyz, Uzbek, Tajik and Uyghur (issue 23, item 5).

The rest of the site stays in settings.LANGUAGES (kk, ru, en): a language of this module is
switched on only by the pages decorated with ``detainee_pages`` (the language cookie that
Django's set_language writes, or a ``language`` parameter), so a cookie set to "ug" at the
kiosk changes nothing on an official's pages (LocaleMiddleware ignores what it does not list).

The ky, uz, tg and ug catalogues are machine drafts to be reviewed (their headers say so);
tests/test_i18n.py checks that every string of these pages is translated in them, taking the
strings from the pages' views, templates and forms (``PAGES`` below), not from a hand list.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

# Each language named in itself: the person at the terminal may read only one of them.
DETAINEE_LANGUAGES: list[tuple[str, str]] = [
    ("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"), ("ky", "Кыргызча"),
    ("uz", "Oʻzbekcha"), ("tg", "Тоҷикӣ"), ("ug", "ئۇيغۇرچە"),
]
CODES = frozenset(code for code, _name in DETAINEE_LANGUAGES)
# Offered on these pages only; their catalogues are machine drafts marked for review.
PAGES_ONLY = ("ky", "uz", "tg", "ug")

# The views of the pages in these languages (filled by the decorator; read by the i18n test).
PAGES: list[Callable[..., HttpResponse]] = []


def chosen(request: HttpRequest) -> str | None:
    """The language asked for: a ``language`` parameter, else the language cookie."""
    for candidate in (request.POST.get("language") if request.method == "POST" else None,
                      request.GET.get("language"),
                      request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        if candidate in CODES:
            return candidate
    return None


def activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


def detainee_pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve this page in any of DETAINEE_LANGUAGES the person chose."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = chosen(request)
        if language is not None:
            activate(request, language)
        return view(request, *args, **kwargs)

    PAGES.append(view)
    return wrapper


def options(current: str) -> list[dict[str, str | bool]]:
    """The language chooser of these pages: code, name in itself, selected."""
    return [{"code": code, "name": name, "selected": code == current}
            for code, name in DETAINEE_LANGUAGES]
