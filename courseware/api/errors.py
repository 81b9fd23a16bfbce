"""One error shape for the whole API: ``{"errors": [{"field", "message"}]}``.

Every bad request answers with the field that was wrong (``null`` when the
request as a whole was) and a message saying what to do, never a traceback.
Django's own ``ValidationError`` (raised by ``full_clean()`` in services)
and ``courseware.problem_saving.ProblemInvalid`` (a refused problem) become a
400 like DRF's.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from courseware.problem_saving import ProblemInvalid


def flatten(detail: Any, field: str | None = None) -> list[dict[str, str | None]]:
    """Turn DRF's nested ``detail`` into a flat list of ``{"field", "message"}``.

    Nested fields are joined with dots and list positions in brackets:
    ``spec.layers[1].activation``.
    """
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__", "detail"):
                name = field
            elif field:
                name = f"{field}.{key}"
            else:
                name = str(key)
            errors.extend(flatten(value, name))
        return errors
    if isinstance(detail, list):
        if all(isinstance(item, (str, exceptions.ErrorDetail)) for item in detail):
            return [{"field": field, "message": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            if item:
                errors.extend(flatten(item, f"{field or ''}[{index}]"))
        return errors
    return [{"field": field, "message": str(detail)}]


def _django_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return exc.messages


def problem_invalid_errors(invalid: ProblemInvalid) -> list[dict[str, str | None]]:
    """A refused problem's errors: ``spec.<path>`` for its spec, else the field."""
    errors = []
    for error in invalid.spec_errors:
        field = error.field if error.field in ("", "spec") else f"spec.{error.field}"
        errors.append({"field": field or "spec", "message": error.message})
    errors += [
        {"field": field, "message": message} for field, message in invalid.field_errors
    ]
    return errors


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ProblemInvalid):
        return Response(
            {"errors": problem_invalid_errors(exc)}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_detail(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = {"errors": flatten(exc.detail)}
    return response


def error_response(
    field: str | None, message: str, code: int = status.HTTP_400_BAD_REQUEST
) -> Response:
    """A response in the API's error shape, for views that refuse without raising."""
    return Response({"errors": [{"field": field, "message": message}]}, status=code)
