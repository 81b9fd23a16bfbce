from django.urls import path

from courseware import views

app_name = "courseware"
urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/",
        views.lesson_detail,
        name="lesson",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/quizzes/<slug:quiz_slug>/",
        views.quiz_detail,
        name="quiz",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/problems/<slug:problem_slug>/",
        views.problem_detail,
        name="problem",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/problems/<slug:problem_slug>/validate",
        views.validate,
        name="validate",
    ),
    path(
        "courses/<slug:course_slug>/<slug:lesson_slug>/problems/<slug:problem_slug>/hint",
        views.hint,
        name="hint",
    ),
    path(
        "submissions/<uuid:submission_id>/status",
        views.submission_status,
        name="submission-status",
    ),
    path("plots/gradient-depth.json", views.gradient_depth, name="gradient-depth"),
]
