from django.urls import path

from custodywatch.medical import views

app_name = "medical"
urlpatterns = [
    path("", views.index, name="index"),
    path("records/<int:pk>/", views.record, name="record"),
    path("examinations/<int:pk>/", views.examination, name="examination"),
    path("examinations/<int:pk>/photo/", views.photo_add, name="photo_add"),
    path("examinations/<int:pk>/copy.pdf", views.examination_pdf, name="examination_pdf"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("deaths/<int:pk>/", views.death, name="death"),
    path("risk/", views.risk, name="risk"),
]
