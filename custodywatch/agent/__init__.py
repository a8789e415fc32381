"""The edge agent: reads a facility's camera streams and recorder segments, judges picture
health, hashes finished segments and forwards everything to the centre through an on-disk
queue. Never imports Django: it runs beside a recorder, far from the centre's database."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    """``custodywatch agent ...``. PyAV and OpenCV load here, on use, not with every
    ``custodywatch`` command (they take about half a second to import)."""
    from custodywatch.agent.cli import main as agent_main

    return agent_main(argv)
