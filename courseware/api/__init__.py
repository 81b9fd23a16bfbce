"""The REST API under ``/api/v1/`` (DRF), documented by the OpenAPI schema."""
