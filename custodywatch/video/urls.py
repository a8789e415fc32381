from django.urls import path

from custodywatch.video import views

app_name = "video"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("facilities/<str:code>/", views.camera_wall, name="camera_wall"),
    path("facilities/<str:code>/cameras/<str:camera>/views/", views.camera_views,
         name="camera_views"),
    path("facilities/<str:code>/cameras/<str:camera>/<str:which>.png", views.camera_view_image,
         name="camera_view_image"),
]
