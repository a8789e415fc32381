from django.urls import path

from custodywatch.registry import views

app_name = "registry"
urlpatterns = [
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/<str:code>/", views.facility_detail, name="facility_detail"),
    path("import/", views.registry_import, name="import"),
]
