from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from custodywatch.accounts import services as account_services
from custodywatch.accounts.audit import SYSTEM_ORIGIN
from custodywatch.kernels.checkpoint import format_checkpoint
from custodywatch.kernels.signed_note import sign_note
from custodywatch.ledger import services
from custodywatch.ledger.models import Checkpoint, Leaf
from custodywatch.ledger.witness import WitnessAlarm, WitnessStore, witness_pull
from tests.ledger.conftest import ORIGIN, register_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(client, people, signer):
    raw, _token = account_services.token_create(acting_user=None, origin=SYSTEM_ORIGIN,
                                                user=people["analyst"])

    def fetch(path: str) -> tuple[int, bytes]:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")
        return response.status_code, response.content

    return fetch


def pull(tmp_path: Path, fetch, signer) -> object:
    store = WitnessStore(tmp_path / "ombudsperson")
    try:
        return witness_pull(store=store, fetch=fetch, verifiers=[signer.verifier()],
                            origin=ORIGIN)
    finally:
        store.close()


def test_witness_mirrors_and_checks_consistency_run_after_run(tmp_path, server, signer):
    for n in range(30):
        register_evidence(n)
    services.ledger_integrate_all()
    first = pull(tmp_path, server, signer)
    assert first.size == Leaf.objects.count() and first.leaves_mirrored == first.size
    for n in range(30, 1300):
        register_evidence(n)
    services.ledger_integrate_all()
    second = pull(tmp_path, server, signer)
    assert (second.previous_size, second.size) == (first.size, Leaf.objects.count())
    store = WitnessStore(tmp_path / "ombudsperson")
    assert store.leaf(1250) == bytes(Leaf.objects.get(index=1250).data)
    store.close()


def test_a_forked_server_raises_a_loud_lasting_alarm(tmp_path, server, signer):
    for n in range(10):
        register_evidence(n)
    services.ledger_integrate_all()
    pull(tmp_path, server, signer)
    # The server now presents another tree of a larger size, signed with its real key.
    latest = Checkpoint.objects.order_by("-id").first()
    fork_root = hashlib.sha256(b"history rewritten").digest()
    Checkpoint.objects.create(
        size=latest.size + 5, root=fork_root, edge=latest.edge, key_name=latest.key_name,
        note=sign_note(format_checkpoint(ORIGIN, latest.size + 5, fork_root), signer))
    with pytest.raises(WitnessAlarm, match="consistent with checkpoint"):
        pull(tmp_path, server, signer)
    alarm = (tmp_path / "ombudsperson" / "ALARM.txt").read_text()
    assert "ALARM" in alarm and alarm.count("checkpoint as presented") == 2
    with pytest.raises(WitnessAlarm, match="unresolved alarm"):
        pull(tmp_path, server, signer)


def test_a_shrinking_tree_is_an_alarm(tmp_path, server, signer):
    for n in range(10):
        register_evidence(n)
    services.ledger_integrate(limit=3)
    services.ledger_integrate_all()
    pull(tmp_path, server, signer)
    oldest = Checkpoint.objects.order_by("id").first()
    Checkpoint.objects.create(size=oldest.size, root=oldest.root, edge=oldest.edge,
                              key_name=oldest.key_name, note=oldest.note)
    with pytest.raises(WitnessAlarm, match="shrank"):
        pull(tmp_path, server, signer)


def run_verifier(target: Path, key: str) -> subprocess.CompletedProcess:
    # -I: isolated mode, so the script cannot lean on our code base or site-packages.
    command = [sys.executable, "-I", str(target / "verify.py"), str(target), "--key", key]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def test_evidence_package_verifies_with_the_standalone_script(tmp_path, signer):
    evidence = tmp_path / "interrogation.mp4"
    evidence.write_bytes(b"\x00\x01 recorded interrogation " * 1000)
    digest = register_evidence(1, content=evidence.read_bytes())
    register_evidence(2)
    services.ledger_integrate_all()
    index = Leaf.objects.get(sha256=digest).index
    payload = services.evidence_package_export(
        acting_user=None, origin=SYSTEM_ORIGIN, indexes=[index, index + 1],
        files={digest: str(evidence)})
    target = tmp_path / "package"
    zipfile.ZipFile(io.BytesIO(payload)).extractall(target)
    assert {"manifest.json", "checkpoint.txt", "verify.py", "README.txt"} <= {
        p.name for p in target.iterdir()}
    key = signer.verifier().to_text()
    ok = run_verifier(target, key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "hash matches" in ok.stdout and "signature OK" in ok.stdout
    # A changed evidence file, and a forged key, both fail.
    file_in_package = next((target / "files").iterdir())
    file_in_package.write_bytes(file_in_package.read_bytes() + b"!")
    bad = run_verifier(target, key)
    assert bad.returncode == 1 and "HASH DIFFERS" in bad.stdout
    other = key[:-6] + ("AAAAA=" if not key.endswith("AAAAA=") else "BBBBB=")
    forged = run_verifier(target, other)
    assert forged.returncode != 0


def test_a_wrong_consistency_proof_is_an_alarm(tmp_path, server, signer):
    for n in range(10):
        register_evidence(n)
    services.ledger_integrate_all()
    pull(tmp_path, server, signer)
    register_evidence(11)
    services.ledger_integrate_all()

    def lying(path: str) -> tuple[int, bytes]:
        status, body = server(path)
        if "consistency" in path:
            body = body.replace(b'"hashes": ["', b'"hashes": ["AAAA').replace(
                b'"hashes":["', b'"hashes":["AAAA')
        return status, body

    with pytest.raises(WitnessAlarm, match="not consistent"):
        pull(tmp_path, lying, signer)
