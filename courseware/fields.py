"""Model fields of the courseware app."""

from django.db import models


class DocumentJSONField(models.JSONField):
    """JSON kept as written, key order included, on every database.

    PostgreSQL's ``jsonb`` (Django's default) reorders keys, so a spec or front
    matter read back from the database would no longer match its content file, and
    an author's ``inputs: {x, y, b}`` would come back as ``{b, x, y}``. PostgreSQL's
    plain ``json`` type keeps the text as given. These fields are documents, never
    queried by their contents, so nothing is lost by not being ``jsonb``.
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        from psycopg.types.json import Json  # only the PostgreSQL backend needs it

        return Json(value, dumps=lambda data: self._dumps(data))

    def _dumps(self, data) -> str:
        import json

        return json.dumps(data, cls=self.encoder)

    def from_db_value(self, value, expression, connection):
        if value is not None and not isinstance(value, str):
            return value  # psycopg already decoded the json column (order kept)
        return super().from_db_value(value, expression, connection)
