from django.urls import path

from custodywatch.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.case_new, name="case_new"),
    path("import/", views.charges_import, name="import"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/do/<slug:action>/", views.case_action, name="case_action"),
    path("<int:pk>/evidence-package/", views.evidence_package, name="evidence_package"),
    path("examinations/<int:pk>/", views.examination, name="examination"),
    path("examinations/<int:pk>/do/<slug:action>/", views.examination_action,
         name="examination_action"),
    path("examinations/<int:pk>/report.pdf", views.examination_pdf, name="examination_pdf"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("evidence/<int:pk>/file/", views.evidence_file, name="evidence_file"),
    path("officers/<int:pk>/", views.officer, name="officer"),
    path("units/<str:code>/", views.unit, name="unit"),
    path("crisis-centres/", views.crisis_centres, name="crisis_centres"),
    path("exclusions/", views.exclusions, name="exclusions"),
]
