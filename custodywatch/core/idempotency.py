"""`Idempotency-Key` for batch endpoints: a retried request returns the first answer.

Wrap a django-ninja operation with `@decorate_view(idempotent)`. The operation, its writes
and the stored answer share one transaction, so a crash leaves either all of them or none.
An answer of 4xx is not stored, so the client may correct the body and retry with the same
key; the operation's services are atomic themselves and have rolled their writes back, while
what they record on purpose outside their own transaction (an audited refusal) is kept.

An answer that carries a secret (a complaint's receipt code, shown once) is stored sealed:
`@decorate_view(idempotent_sealed)` keeps it encrypted under the sealing key
(core/sealing.py), so the database alone never holds the secret in the clear.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from custodywatch.core import sealing
from custodywatch.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def _principal(request: HttpRequest) -> str:
    """Who sent it: keys of different clients never collide."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode()).hexdigest()[:64]
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else "anonymous"


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _sealing_context(principal: str, key: str) -> str:
    return f"core.idempotency:{principal}:{key}"


def _stored_content(content: bytes, *, sealed: bool, principal: str, key: str) -> bytes:
    if not sealed:
        return content
    return sealing.seal(content, context=_sealing_context(principal, key))


def _replay(record: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if record.request_hash != request_hash:
        return JsonResponse(
            {"detail": f"{HEADER} {record.key!r} was already used with a different request."},
            status=422,
        )
    content = bytes(record.content)
    if content.startswith(sealing.MAGIC):  # no JSON answer starts with these bytes
        content = sealing.unseal(content, context=_sealing_context(record.principal, record.key))
    response = HttpResponse(content, status=record.status_code,
                            content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(run: Callable[..., HttpResponse], *,
               sealed: bool = False) -> Callable[..., HttpResponse]:
    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return run(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return JsonResponse(
                {"detail": f"{HEADER} must be at most {MAX_KEY_LENGTH} characters."}, status=400
            )
        principal = _principal(request)
        request_hash = _request_hash(request)
        existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if existing is not None:
            return _replay(existing, request_hash)
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if response.status_code < 400:
                    IdempotencyRecord.objects.create(
                        principal=principal, key=key, request_hash=request_hash,
                        status_code=response.status_code,
                        content_type=response.get("Content-Type", "application/json"),
                        content=_stored_content(response.content, sealed=sealed,
                                                principal=principal, key=key),
                    )
        except IntegrityError:
            # The same key raced us and won: its answer is the answer, our writes are undone.
            winner = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if winner is None:
                raise
            return _replay(winner, request_hash)
        return response

    return wrapper


def idempotent_sealed(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`idempotent`, with the stored answer sealed: for answers that carry a secret."""
    return idempotent(run, sealed=True)
