from django.urls import path

from custodywatch.escrow import views

app_name = "escrow"
urlpatterns = [
    path("records/<int:pk>/", views.record_footage, name="record_footage"),
    path("blackouts/", views.blackouts, name="blackouts"),
]
