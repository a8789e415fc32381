from django.urls import path

from custodywatch.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.visit_calendar, name="calendar"),
    path("new/", views.visit_plan, name="visit_plan"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/offline/", views.visit_offline, name="visit_offline"),
    path("<int:pk>/report.<str:language>.pdf", views.visit_report, name="visit_report"),
    path("photos/<int:pk>/", views.finding_photo, name="finding_photo"),
    path("recommendations/", views.tracker, name="tracker"),
    path("recommendations/new/", views.recommendation_new, name="recommendation_new"),
    path("recommendations/<int:pk>/", views.recommendation_detail,
         name="recommendation_detail"),
    path("planning/", views.planning, name="planning"),
    path("facilities/<str:code>/", views.facility_history, name="facility_history"),
    path("comments/", views.comment_moderation, name="comment_moderation"),
    path("comments/<int:pk>/", views.comment_moderate, name="comment_moderate"),
    # Registered NGOs only.
    path("public/recommendations/<int:pk>/comment/", views.recommendation_comment,
         name="recommendation_comment"),
    # Public: no account needed.
    path("public/recommendations/", views.public_recommendations,
         name="public_recommendations"),
]
