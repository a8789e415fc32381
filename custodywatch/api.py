"""The HTTP API: OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django_otp import user_has_device
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from custodywatch.accounts.models import MachineToken
from custodywatch.accounts.services import token_authenticate
from custodywatch.cases.api import router as cases_router
from custodywatch.complaints.api import router as complaints_router
from custodywatch.complaints.preservation_api import router as preservation_router
from custodywatch.core.middleware import contains_nul
from custodywatch.custody.api import router as custody_router
from custodywatch.escrow.api import router as escrow_router
from custodywatch.ledger.api import router as ledger_router
from custodywatch.liveview.api import router as liveview_router
from custodywatch.medical.api import router as medical_router
from custodywatch.registry.api import router as registry_router
from custodywatch.reports.api import router as reports_router
from custodywatch.video.api import router as video_router
from custodywatch.video.references_api import router as references_router
from custodywatch.visits.api import router as visits_router


class BearerToken(HttpBearer):
    """Machine clients: `Authorization: Bearer <token>`."""

    def authenticate(self, request: HttpRequest, token: str) -> MachineToken | None:
        machine_token = token_authenticate(token)
        if machine_token is None:
            return None
        request.user = machine_token.user
        request.machine_token = machine_token  # type: ignore[attr-defined]  # declared in accounts.http.Request
        return machine_token


class VerifiedSession(SessionAuth):
    """People signed in through the UI, second factor included when they have one."""

    def authenticate(self, request: HttpRequest, key: str | None):
        user = super().authenticate(request, key)
        if user is None:
            return None
        if not user.is_verified() and (
            user_has_device(user) or settings.CUSTODYWATCH_REQUIRE_2FA
        ):
            return None
        request.machine_token = None  # type: ignore[attr-defined]  # declared in accounts.http.Request
        return user


class ObjectBodyParser(Parser):
    """Every request body of this API is a JSON object: an array or a bare value is refused
    with 400, instead of reading as an object with every field left at its default."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("The request body must be a JSON object.")
        if contains_nul(data):  # PostgreSQL text cannot hold it (core/middleware.py)
            raise ValueError("The request body may not contain the NUL character.")
        return data


api = NinjaAPI(
    title="CustodyWatch API",
    version="1",
    description="Custody oversight: registry, custody, video, complaints, cases, ledger.",
    auth=[BearerToken(), VerifiedSession()],
    parser=ObjectBodyParser(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden."}, status=403)


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's own answer is an HTML 400 page; API clients read JSON (issue 18).
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(request, {"detail": {"body": [
        f"The request body is larger than {limit // (1024 * 1024)} MiB: send a smaller "
        "batch."]}}, status=413)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("/registry/", registry_router)
api.add_router("/custody/", custody_router)
# The examinations batch (medical, above custody) under custody's path, as it always was.
api.add_router("/custody/", medical_router)
api.add_router("/ledger/", ledger_router)
api.add_router("/video/", video_router)
api.add_router("/references/", references_router)
api.add_router("/complaints/", complaints_router)
api.add_router("/preservation/", preservation_router)
api.add_router("/escrow/", escrow_router)
api.add_router("/visits/", visits_router)
api.add_router("/cases/", cases_router)
api.add_router("/reports/", reports_router)
api.add_router("/live/", liveview_router)
