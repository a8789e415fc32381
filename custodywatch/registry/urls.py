from django.urls import path

from custodywatch.registry import views

app_name = "registry"
urlpatterns = [
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/<str:code>/", views.facility_detail, name="facility_detail"),
    path("facilities/<str:code>/cameras/", views.camera_changes, name="camera_changes"),
    path("facilities/<str:code>/markers.pdf", views.marker_sheet, name="marker_sheet"),
    path("markers/check/", views.marker_check, name="marker_check"),
    path("import/", views.registry_import, name="import"),
]
