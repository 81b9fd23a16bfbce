import pytest
from django.db import connection

from tests.services import REQUIRE_ALL


@pytest.mark.django_db
def test_suite_runs_on_postgresql_in_ci():
    """CI (TRACEGRADE_REQUIRE_ALL=1) must exercise PostgreSQL, not the SQLite default."""
    if not REQUIRE_ALL and connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL is not PostgreSQL; set it to run on PostgreSQL")
    assert connection.vendor == "postgresql"
