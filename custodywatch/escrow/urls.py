from django.urls import path

from custodywatch.escrow import views

app_name = "escrow"
urlpatterns = [
    path("records/<int:pk>/", views.record_footage, name="record_footage"),
    path("blackouts/", views.blackouts, name="blackouts"),
    path("body-cameras/", views.body_cameras, name="body_cameras"),
    path("body-cameras/<int:pk>/unassign/", views.body_camera_unassign,
         name="body_camera_unassign"),
]
