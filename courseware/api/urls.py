from django.urls import path

from courseware.api import auth, authoring, views

app_name = "api"
urlpatterns = [
    path("auth/token/", auth.TokenCreateView.as_view(), name="token"),
    path("auth/logout/", auth.TokenDeleteView.as_view(), name="logout"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("courses/", views.CourseListView.as_view(), name="courses"),
    path(
        "courses/<slug:course_slug>/", views.CourseDetailView.as_view(), name="course"
    ),
    path(
        "courses/<slug:course_slug>/lessons/",
        views.LessonListView.as_view(),
        name="lessons",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:lesson_slug>/",
        views.LessonDetailView.as_view(),
        name="lesson",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/",
        authoring.CourseGradebookView.as_view(),
        name="course-gradebook",
    ),
    path(
        "offerings/<int:offering_id>/gradebook/",
        authoring.OfferingGradebookView.as_view(),
        name="offering-gradebook",
    ),
    path("problems/", views.ProblemListView.as_view(), name="problems"),
    path("problems/<int:pk>/", views.ProblemDetailView.as_view(), name="problem"),
    path("problems/<int:pk>/variant/", views.VariantView.as_view(), name="variant"),
    path("problems/<int:pk>/validate/", views.ValidateView.as_view(), name="validate"),
    path(
        "problems/<int:pk>/gradebook/",
        authoring.ProblemGradebookView.as_view(),
        name="problem-gradebook",
    ),
    path("submissions/", views.SubmissionListCreateView.as_view(), name="submissions"),
    path(
        "submissions/<uuid:pk>/",
        views.SubmissionDetailView.as_view(),
        name="submission",
    ),
    path(
        "authoring/problems/",
        authoring.AuthoringProblemListView.as_view(),
        name="authoring-problems",
    ),
    path(
        "authoring/problems/<int:pk>/",
        authoring.AuthoringProblemDetailView.as_view(),
        name="authoring-problem",
    ),
]
