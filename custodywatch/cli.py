"""The `custodywatch` command: Django's management commands under the product's name.

`custodywatch demo`, `custodywatch serve`, `custodywatch token create`, ... are management
commands of the apps; anything Django offers (`custodywatch migrate`) works too. Commands
that work on files alone (`coverage`) run without Django, so they start fast and need no
database.
"""

from __future__ import annotations

import os
import sys

from custodywatch import agent, coverage_csv

FILE_COMMANDS = {"coverage": coverage_csv.main, "agent": agent.main}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in FILE_COMMANDS:
        sys.exit(FILE_COMMANDS[sys.argv[1]](sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodywatch.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # The embedded demo is for looking around: staff may enrol a second factor, not must.
        os.environ.setdefault("CUSTODYWATCH_REQUIRE_2FA", "false")
        # Its alerts' e-mails are written to files under var/mail, unless a server is named.
        os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    from django.core.management import execute_from_command_line  # after the settings name

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
