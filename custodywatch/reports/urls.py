from django.urls import path

from custodywatch.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/<str:code>/", views.unit, name="unit"),
    path("heads/", views.heads, name="heads"),
    path("coverage/", views.coverage, name="coverage"),
    path("un-cat/", views.cat_statistics, name="cat"),
    path("un-cat/export.<str:fmt>", views.cat_export, name="cat_export"),
    path("un-cat/follow-up/", views.cat_follow_up, name="cat_follow_up"),
    path("un-cat/follow-up/export.<str:fmt>", views.cat_follow_up_export,
         name="cat_follow_up_export"),
    # Public: no account needed.
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<slug:table>.<str:fmt>", views.open_data_download,
         name="open_data_download"),
    path("open-data/releases/", views.open_data_releases, name="open_data_releases"),
    path("open-data/releases/<int:version>/<str:name>", views.open_data_release_file,
         name="open_data_release_file"),
]
