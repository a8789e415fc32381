from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide commands: serving and the translation catalogues."""

    name = "custodywatch.core"
