from django.urls import path

from custodywatch.accountability import views

app_name = "accountability"
urlpatterns = [
    path("heads/", views.heads, name="heads"),
    path("heads/person/<int:pk>/", views.head_person, name="head_person"),
    path("heads/<int:pk>/<slug:figure>/", views.head_figure, name="head_figure"),
    path("proceedings/", views.proceedings, name="proceedings"),
    path("proceedings/<int:pk>/", views.proceeding, name="proceeding"),
    path("fund/", views.fund, name="fund"),
    path("fund/claims/<int:pk>/", views.fund_claim, name="fund_claim"),
    path("fund/registers/", views.register_create, name="register_create"),
    path("fund/registers/<int:pk>/paid/", views.register_paid, name="register_paid"),
    path("fund/registers/<int:pk>.<str:fmt>", views.register_download,
         name="register_download"),
    path("fund/recourse/<int:pk>/", views.recourse, name="recourse"),
]
