from django.urls import path

from custodywatch.complaints import views

app_name = "complaints"
urlpatterns = [
    # Public: no account needed.
    path("file/", views.intake, name="intake"),
    path("status/", views.status, name="status"),
    path("status/reply/", views.status_reply, name="status_reply"),
    path("kiosk/<str:facility_code>/", views.kiosk_start, name="kiosk"),
    path("kiosk/<str:facility_code>/form/", views.kiosk_form, name="kiosk_form"),
    path("kiosk/<str:facility_code>/status/", views.kiosk_status, name="kiosk_status"),
    path("kiosk/<str:facility_code>/queue/", views.kiosk_queue, name="kiosk_queue"),
    path("kiosk/<str:facility_code>/rights/", views.kiosk_rights, name="kiosk_rights"),
    path("rights/", views.rights, name="rights"),
    path("kiosk/sw.js", views.kiosk_service_worker, name="kiosk_sw"),
    path("terminal/enrol/", views.terminal_enrol, name="terminal_enrol"),
    path("terminal/heartbeat/", views.terminal_heartbeat, name="terminal_heartbeat"),
    # Officials.
    path("", views.inbox, name="inbox"),
    path("export.csv", views.export_csv, name="export"),
    path("operator/", views.operator_intake, name="operator"),
    path("statistics/", views.statistics, name="statistics"),
    path("terminals/", views.terminal_list, name="terminals"),
    path("terminals/<int:pk>/<slug:action>/", views.terminal_action, name="terminal_action"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download,
         name="attachment"),
    path("<int:pk>/<slug:action>/", views.complaint_action, name="action"),
    path("identity-access/<int:pk>/decide/", views.identity_decide, name="identity_decide"),
]
