from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from custodywatch.accounts import services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.models import MachineToken, User

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Machine tokens: `token create --username NAME [--facility CODE]`, `token list`."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="print a new bearer token for a user")
        create.add_argument("--username", required=True)
        create.add_argument("--facility", help="the account's own facility (the default for "
                            "facility accounts); any other is refused")
        create.add_argument("--name", default="", help="a label, e.g. the agent's host name")
        actions.add_parser("list", help="list tokens (prefixes only)")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for token in MachineToken.objects.select_related("user", "facility"):
                facility = token.facility.code if token.facility else "-"
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.prefix}\t{token.user.username}\t{facility}\t{state}")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"--username: no user {options['username']!r}", returncode=BAD_INPUT)
        facility = None
        if options["facility"]:
            # The registry sits above accounts: its Facility through the token's FK.
            Facility = MachineToken._meta.get_field("facility").related_model  # noqa: N806
            facility = Facility._default_manager.filter(code=options["facility"]).first()
            if facility is None:
                raise CommandError(
                    f"--facility: no facility {options['facility']!r}", returncode=BAD_INPUT
                )
        try:
            raw, _token = services.token_create(
                acting_user=None, origin=SYSTEM_ORIGIN, user=user, facility=facility,
                name=options["name"],
            )
        except ValidationError as error:
            raise CommandError(f"--facility: {'; '.join(error.messages)}",
                               returncode=BAD_INPUT) from None
        self.stdout.write(raw)
