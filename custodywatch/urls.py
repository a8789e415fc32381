from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from custodywatch import views
from custodywatch.api import api
from custodywatch.metrics import metrics

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    # A facility's waiting-room screen (an enrolled terminal): the rooms a relative may see.
    path("screen/", views.waiting_room_screen, name="waiting_room_screen"),
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("custodywatch.accounts.urls")),
    path("registry/", include("custodywatch.registry.urls")),
    path("custody/", include("custodywatch.custody.urls")),
    path("ledger/", include("custodywatch.ledger.urls")),
    path("video/", include("custodywatch.video.urls")),
    path("escrow/", include("custodywatch.escrow.urls")),
    path("complaints/", include("custodywatch.complaints.urls")),
    path("visits/", include("custodywatch.visits.urls")),
    path("cases/", include("custodywatch.cases.urls")),
    path("medical/", include("custodywatch.medical.urls")),
    path("reports/", include("custodywatch.reports.urls")),
    path("accountability/", include("custodywatch.accountability.urls")),
    path("live/", include("custodywatch.liveview.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler500 = "custodywatch.views.server_error"
