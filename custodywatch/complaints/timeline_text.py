"""Timeline words stored untranslated and translated when read.

A timeline event is written in one language (the kiosk user's Kazakh, say) and read in
another (the prosecutor's Russian). So its words are stored as parts, not as text: a
message id with arguments (``text``) or a choice of one of the complaint app's TextChoices
(``choice``), both rendered by ``render`` in the reader's language. Free text (a room code, a
reason, a register number) stays in the event's ``note`` as it was typed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext

Part = dict[str, Any]


def text(message_id: str, **args: str | Part) -> Part:
    """A message id (mark it with gettext_noop) with its %-arguments, themselves parts or
    plain strings."""
    return {"msgid": message_id, "args": args}


def choice(enum: type[models.TextChoices], value: str) -> Part:
    return {"choice": enum.__name__, "value": str(value)}


def render(part: Part | str, choices: dict[str, type[models.TextChoices]]) -> str:
    """``part`` in the active language; ``choices`` names the TextChoices parts may use."""
    if isinstance(part, str):
        return part
    if "choice" in part:
        enum = choices.get(part["choice"])
        if enum is None or part["value"] not in enum.values:
            return str(part["value"])
        return str(enum(part["value"]).label)
    translated = gettext(part["msgid"])
    args = {name: render(value, choices) for name, value in part.get("args", {}).items()}
    return translated % args if args else translated
