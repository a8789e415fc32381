from django.urls import path

from custodywatch.video import views

app_name = "video"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("facilities/<str:code>/", views.camera_wall, name="camera_wall"),
]
