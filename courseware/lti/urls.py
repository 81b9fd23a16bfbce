from django.urls import path

from courseware.lti import offering_views, registration_views, views

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
    path("link/", views.LinkView.as_view(), name="link"),
    path("register/", registration_views.register, name="register"),
    path("canvas.json", registration_views.canvas_config, name="canvas-config"),
    path("offerings/", offering_views.offering_list, name="offerings"),
    path(
        "offerings/<int:offering_id>/",
        offering_views.offering_detail,
        name="offering",
    ),
    path(
        "offerings/<int:offering_id>/resend-grades/",
        offering_views.offering_resend_grades,
        name="offering-resend-grades",
    ),
    path(
        "offerings/<int:offering_id>/roster-sync/",
        offering_views.offering_roster_sync,
        name="offering-roster-sync",
    ),
]
