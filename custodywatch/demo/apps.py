from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "custodywatch.demo"
    verbose_name = "Demo data"
