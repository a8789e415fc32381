from django.db import models


class DemoDataset(models.Model):
    """Which demo dataset this database holds, so a restart reuses it instead of reloading."""

    scale = models.CharField(max_length=20)
    seed = models.IntegerField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.scale} seed={self.seed}"
