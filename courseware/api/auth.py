"""API tokens (django-rest-knox: only a hash is stored) and the current user."""

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.views import LoginView as KnoxLoginView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from courseware.api import serializers as s
from courseware.api.authentication import TokenAuthentication, expired_tokens_delete
from courseware.api.throttles import ScopedThrottle
from courseware.models import CourseMembership


class TokenCreateView(KnoxLoginView):
    """Exchange a username and password for an API token (shown once; stored hashed)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedThrottle,)
    throttle_scope = "token"

    @extend_schema(
        tags=["auth"],
        request=s.TokenRequestSerializer,
        responses={201: s.TokenResponseSerializer, 400: s.ErrorSerializer},
        auth=[],
    )
    def post(self, request, format=None):
        serializer = s.TokenRequestSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        expired_tokens_delete(user=request.user)
        response = super().post(request, format=format)
        response.status_code = 201
        return response


class TokenDeleteView(KnoxLogoutView):
    """Revoke the token this request is authenticated with."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(tags=["auth"], request=None, responses={204: OpenApiResponse(None)})
    def post(self, request, format=None):
        return super().post(request, format=format)


class MeView(APIView):
    """The signed-in user and their course roles."""

    @extend_schema(tags=["auth"], responses=s.MeSerializer)
    def get(self, request):
        prefetch_related_objects(
            [request.user],
            Prefetch(
                "course_memberships",
                queryset=CourseMembership.objects.select_related("course"),
            ),
        )
        return Response(s.MeSerializer(request.user).data)
