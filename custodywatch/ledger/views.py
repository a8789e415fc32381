"""The ledger's pages: the latest checkpoint, an entry with its proof, a file check."""

from __future__ import annotations

import base64
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from custodywatch.accounts.http import AuthedRequest
from custodywatch.ledger import selectors, tlog_proof
from custodywatch.ledger.models import Leaf, LeafKind

PAGE_SIZE = 50
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _require_reader(request: AuthedRequest) -> None:
    if not selectors.can_read_leaves(request.user):
        raise PermissionDenied


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    _require_reader(request)
    kind = request.GET.get("kind", "")
    if kind not in LeafKind.values:
        kind = ""
    page = Paginator(selectors.leaves_recent(user=request.user, kind=kind), PAGE_SIZE
                     ).get_page(request.GET.get("page"))
    checkpoint = selectors.checkpoint_latest()
    template = "ledger/overview.html"
    if request.htmx and request.htmx.target == "ledger-entries":
        template += "#entries"
    return render(request, template, {
        "checkpoint": checkpoint,
        "root_b64": base64.b64encode(bytes(checkpoint.root)).decode() if checkpoint else "",
        "pending": selectors.pending_count(),
        "page": page,
        "kinds": LeafKind.choices,
        "kind": kind,
        "query": f"kind={kind}" if kind else "",
    })


@login_required
def leaf_detail(request: AuthedRequest, index: int) -> HttpResponse:
    _require_reader(request)
    try:
        view = selectors.leaf_view(user=request.user, index=index)
    except Leaf.DoesNotExist:
        raise Http404(_("No such ledger entry.")) from None
    return render(request, "ledger/leaf_detail.html", {
        "view": view,
        "leaf_hash_b64": base64.b64encode(view.leaf_hash).decode(),
        "proof_b64": [base64.b64encode(h).decode() for h in view.proof],
        "root_b64": (base64.b64encode(bytes(view.checkpoint.root)).decode()
                     if view.checkpoint else ""),
    })


@login_required
def file_check(request: AuthedRequest) -> HttpResponse:
    """Find the entries that commit to a file's hash. The browser hashes the file; only the
    hash comes here, the file never leaves the person's computer."""
    _require_reader(request)
    digest = request.GET.get("sha256", "").strip()
    matches = None
    error = ""
    if digest:
        if _SHA256.fullmatch(digest):
            matches = list(selectors.leaves_with_hash(user=request.user, sha256=digest)[:100])
        else:
            error = _("That is not a SHA-256 hash (64 hexadecimal digits).")
    return render(request, "ledger/file_check.html",
                  {"sha256": digest.lower(), "matches": matches, "error": error})


@login_required
def leaf_proof(request: AuthedRequest, index: int) -> HttpResponse:
    """Download entry ``index``'s receipt (C2SP tlog-proof) to verify offline."""
    _require_reader(request)
    try:
        receipt = selectors.tlog_receipt(user=request.user, index=index)
    except selectors.ProofError:
        raise Http404(_("This entry is not in a signed checkpoint yet.")) from None
    response = HttpResponse(receipt, content_type=tlog_proof.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="ledger-entry-{index}.tlog-proof"'
    return response
