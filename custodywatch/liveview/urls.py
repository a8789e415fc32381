from django.urls import path

from custodywatch.liveview import views

app_name = "liveview"
urlpatterns = [
    path("", views.index, name="index"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/viewers/", views.viewer_add, name="viewer_add"),
    path("records/<int:pk>/viewers/<int:viewer_pk>/revoke/", views.viewer_revoke,
         name="viewer_revoke"),
    # For viewers, without sign-in: the link (code in the path), typing the code, watching.
    path("v/<str:code>/", views.open_link, name="open"),
    path("code/", views.code_entry, name="code"),
    path("watch/<int:pk>/", views.watch, name="watch"),
    # Relatives and lawyers asking to watch (issue 23, item 7): public form; the operators'
    # and the prosecutors' pages.
    path("ask/", views.watch_request_new, name="watch_request_new"),
    path("requests/", views.watch_request_list, name="watch_requests"),
    path("requests/<int:pk>/", views.watch_request, name="watch_request"),
    path("requests/<int:pk>/<slug:action>/", views.watch_request_action,
         name="watch_request_action"),
]
