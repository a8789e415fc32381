from django.urls import path

from custodywatch.custody import views, views_mass

app_name = "custody"
urlpatterns = [
    path("", views.index, name="index"),
    path("desk/<str:code>/", views.desk, name="desk"),
    path("desk/<str:code>/new/", views.record_new, name="record_new"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/move/", views.record_move, name="record_move"),
    path("records/<int:pk>/interrogation/", views.record_interrogation,
         name="record_interrogation"),
    path("records/<int:pk>/medical/", views.record_medical, name="record_medical"),
    path("records/<int:pk>/notification/", views.record_notification,
         name="record_notification"),
    path("records/<int:pk>/safeguards/", views.record_safeguards, name="record_safeguards"),
    path("records/<int:pk>/person/", views.person, name="person"),
    path("records/<int:pk>/regime/", views.record_regime, name="record_regime"),
    path("records/<int:pk>/delay/", views.record_delay, name="record_delay"),
    path("records/<int:pk>/end/", views.record_end, name="record_end"),
    path("overruns/", views.overruns, name="overruns"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    # Issue 22, item 7: mass detention; item 8: "where is he held?".
    path("mass/", views_mass.mass_index, name="mass"),
    path("mass/<int:pk>/", views_mass.mass_detail, name="mass_detail"),
    path("mass/<int:pk>/end/", views_mass.mass_end, name="mass_end"),
    path("mass/<int:pk>/places/", views_mass.mass_place_new, name="mass_place_new"),
    path("mass/reviews/<int:pk>/", views_mass.review_decide, name="review_decide"),
    path("desk/<str:code>/intake/", views_mass.intake_upload, name="intake"),
    path("records/<int:pk>/incommunicado/", views_mass.incommunicado, name="incommunicado"),
    path("whereabouts/", views_mass.whereabouts_lawyer, name="whereabouts"),
    path("whereabouts/operator/", views_mass.whereabouts_operator,
         name="whereabouts_operator"),
    path("whereabouts/checks/<int:pk>/ask/", views_mass.whereabouts_relative,
         name="whereabouts_relative"),
]
