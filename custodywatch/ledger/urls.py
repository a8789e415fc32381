from django.urls import path

from custodywatch.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("entries/<int:index>/", views.leaf_detail, name="leaf_detail"),
    path("entries/<int:index>/proof.tlog-proof", views.leaf_proof, name="leaf_proof"),
    path("check/", views.file_check, name="file_check"),
]
