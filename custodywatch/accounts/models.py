"""People, their roles and scopes, machine tokens, and the audit trail."""

from __future__ import annotations

import zoneinfo

from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = [
    (name, name)
    for name in sorted(zoneinfo.available_timezones())
    if name.startswith(("Asia/", "Europe/", "UTC"))
]


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    GENERAL_PROSECUTOR = "general_prosecutor", _("General Prosecutor's Office")
    REGIONAL_PROSECUTOR = "regional_prosecutor", _("Regional prosecutor")
    OMBUDSPERSON = "ombudsperson", _("Ombudsperson")
    NPM_MONITOR = "npm_monitor", _("NPM monitor")
    FACILITY_HEAD = "facility_head", _("Facility head")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    FORENSIC_EXPERT = "forensic_expert", _("Forensic expert")
    # An independent doctor or feldsher (not the facility's staff), scoped to the region or
    # the facility they serve: intake, transfer and release examinations (medical/).
    MEDICAL_EXAMINER = "medical_examiner", _("Independent medical examiner")
    COMPENSATION_OFFICER = "compensation_officer", _("Compensation officer")
    ANALYST = "analyst", _("Analyst")
    # Issue 22, item 8: a licensed lawyer asks where a person is held (custody/whereabouts);
    # a hotline operator checks a relative's identity and asks for them.
    LAWYER = "licensed_lawyer", _("Lawyer (licensed)")
    HOTLINE_OPERATOR = "hotline_operator", _("Hotline operator")
    # A non-governmental organisation registered by an administrator (User.organisation).
    NGO = "ngo", _("Registered NGO")
    EDGE_AGENT = "edge_agent", _("Edge agent (machine)")
    STATE_SYSTEM = "state_system", _("State information system (machine)")


class Scope(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    FACILITY = "facility", _("Facility")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.ANALYST)
    scope = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.COUNTRY
    )
    # The registry sits above accounts (docs/architecture.md, "Layers"): its models by name.
    region = models.ForeignKey(
        "registry.Region",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    facility = models.ForeignKey(
        "registry.Facility",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=60, default="Asia/Almaty", choices=TIME_ZONE_CHOICES
    )
    language = models.CharField(_("language"), max_length=5, blank=True)
    # A registered NGO's organisation: shown beside its comments on the public pages.
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_scope_has_its_object",
                condition=(
                    Q(scope="country", region__isnull=True, facility__isnull=True)
                    | Q(scope="region", region__isnull=False, facility__isnull=True)
                    | Q(scope="facility", facility__isnull=False)
                ),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        from custodywatch.accounts.capabilities import speaks_for_an_organisation

        if speaks_for_an_organisation(self.role) and not self.organisation.strip():
            raise ValidationError({"organisation": _("Name the organisation.")})

    def __str__(self) -> str:
        """People by their names (the user name only where none was given)."""
        return self.get_full_name() or self.username


class MachineToken(models.Model):
    """A bearer token for a machine client; only its SHA-256 is stored."""

    user = models.ForeignKey(User, models.CASCADE, related_name="tokens")
    facility = models.ForeignKey(
        "registry.Facility",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="tokens",
        help_text=_("An agent's token writes only this facility's cameras."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("machine token")
        verbose_name_plural = _("machine tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"


class AuditEvent(models.Model):
    """Who read or changed which object, when and from where. Rows are never changed."""

    class Action(models.TextChoices):
        READ = "read", _("Read")
        LIST = "list", _("Listed")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        IMPORT = "import", _("Imported")
        EXPORT = "export", _("Exported")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOGOUT = "logout", _("Signed out")
        DENIED = "denied", _("Access denied")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    object_label = models.CharField(_("object (as recorded)"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_label}"

    @property
    def object_type_label(self) -> str:
        """The kind of object in words ("case"), not the model's label ("cases.case")."""
        app_label, _dot, model_name = self.object_type.partition(".")
        try:
            return str(apps.get_model(app_label, model_name)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type
