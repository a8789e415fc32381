from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.accounts.capabilities import Capability, holders_q
from custodywatch.accounts.models import User
from custodywatch.registry import services
from custodywatch.registry.csv_import import KINDS, RegistryImportError

BAD_INPUT = 2


class Command(BaseCommand):
    help = "Import a registry CSV, all lines or none: facilities, rooms, recorders, cameras, heads"

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--as-user", default="", help="administrator recorded in the audit")

    def handle(self, *args, kind: str, file: Path, as_user: str, **options) -> None:
        admins = User.objects.filter(holders_q(Capability.EDIT_REGISTRY), is_active=True)
        actor = admins.filter(username=as_user).first() if as_user else admins.first()
        if actor is None:
            raise CommandError("--as-user: no active system administrator", returncode=BAD_INPUT)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}", returncode=BAD_INPUT) from None
        try:
            result = services.registry_import(
                acting_user=actor, origin=SYSTEM_ORIGIN, kind=kind, content=content,
                file_name=file.name,
            )
        except RegistryImportError as error:
            for line_error in error.errors:
                self.stderr.write(f"{file.name} {line_error}")
            raise CommandError(
                f"{file.name}: {len(error.errors)} error(s); nothing was imported.",
                returncode=BAD_INPUT,
            ) from None
        self.stdout.write(
            f"{kind}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
