"""`custodywatch serve` on the demo's database tells a newcomer how to start the demo again."""

from __future__ import annotations

import io

import pytest

from custodywatch.core.management.commands import serve


@pytest.mark.django_db
def test_serve_on_demo_data_says_how_to_start_the_demo(monkeypatch, settings):
    from custodywatch.demo.models import DemoDataset

    settings.CUSTODYWATCH_REQUIRE_2FA = True
    monkeypatch.setattr(serve, "serve", lambda *args, **kwargs: None)
    out = io.StringIO()
    command = serve.Command(stdout=out)
    command.handle(host="127.0.0.1", port=8000, threads=1)
    assert "dev.py demo" not in out.getvalue()  # no demo data: no hint
    DemoDataset.objects.create(scale="small", seed=0)
    command.handle(host="127.0.0.1", port=8000, threads=1)
    assert "dev.py demo" in out.getvalue()

