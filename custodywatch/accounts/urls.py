from django.contrib.auth import views as auth_views
from django.urls import path

from custodywatch.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/setup/", views.otp_setup, name="otp_setup"),
    path("preferences/", views.preferences, name="preferences"),
    path("audit/", views.audit_trail, name="audit_trail"),
]
