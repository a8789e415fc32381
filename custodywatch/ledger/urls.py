from django.urls import path

from custodywatch.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("entries/<int:index>/", views.leaf_detail, name="leaf_detail"),
    path("check/", views.file_check, name="file_check"),
]
