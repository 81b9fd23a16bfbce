from django.urls import path

from courseware.lti import views

app_name = "lti"
urlpatterns = [
    path("jwks/", views.jwks, name="jwks"),
    path("login/", views.LoginView.as_view(), name="login"),
    path(
        "login/<uuid:registration_uuid>/",
        views.LoginView.as_view(),
        name="login-registration",
    ),
    path("launch/", views.LaunchView.as_view(), name="launch"),
    path("deep-link/", views.DeepLinkView.as_view(), name="deep-link"),
]
