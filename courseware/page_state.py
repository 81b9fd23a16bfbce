"""What a student page is made from, as one digest read in one SQL statement.

Each function returns a digest of every database row its page reads for this
user: each row's id and the version of the row PostgreSQL holds (``xmin``,
the transaction that wrote it, and ``ctid``, where it is stored; an UPDATE
writes a new version, so the pair changes even for a second update in the
same transaction). Any write to any of those rows (a save, a queryset
``update()``, the admin, an import, raw SQL, a grading worker) changes the
pair; an insert or a delete adds or removes an id; a rolled-back write leaves
the old version, and the old digest. So the digest changes whenever anything
shown on the page could have changed, and ``courseware.page_cache`` keys the
rendered page by it. Deadlines (a quiz's opening and due dates, a problem's
due date) enter as "has it passed?", so a page also changes when one passes.

The lists of rows follow the views in ``courseware.views`` (and the selectors
they call): a view that starts reading another table must add it here
(``tests/courseware/test_page_cache.py`` edits each input and looks at the page).

PostgreSQL only (``xmin``, ``ctid``): with any other database ``digest`` returns
None and pages are rendered every time.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from courseware.models import (
    Course,
    CourseMembership,
    HintRequest,
    Lesson,
    Offering,
    OfferingMembership,
    Problem,
    ProblemVersion,
    Quiz,
    QuizItem,
    Submission,
    Variant,
)


def _tables() -> dict[str, str]:
    models = {
        "user": get_user_model(),
        "course": Course,
        "membership": CourseMembership,
        "lesson": Lesson,
        "problem": Problem,
        "version": ProblemVersion,
        "variant": Variant,
        "hint": HintRequest,
        "quiz": Quiz,
        "item": QuizItem,
        "submission": Submission,
        "offering": Offering,
        "offering_member": OfferingMembership,
    }
    return {
        name: connection.ops.quote_name(m._meta.db_table) for name, m in models.items()
    }


def _rows(table: str, tag: str, where: str) -> str:
    return f"SELECT '{tag}' AS t, id::text AS id, (xmin::text || ctid::text) AS x FROM {table} WHERE {where}"


def _cte_rows(cte: str) -> str:
    """The rows of a CTE of the statement (its ``id``, ``xmin`` and ``ctid``),
    tagged with the CTE's name."""
    return f"SELECT '{cte}', id::text, xmin::text || ctid::text FROM {cte}"


def _passed(source: str, tag: str, column: str) -> str:
    return (
        f"SELECT '{tag}', id::text, ({column} <= statement_timestamp())::text FROM {source} "
        f"WHERE {column} IS NOT NULL"
    )


def _statement(ctes: list[str], rows: list[str]) -> str:
    union = "\n  UNION ALL ".join(rows)
    return (
        f"WITH {', '.join(ctes)}\n"
        "SELECT md5(coalesce(string_agg(r.t || r.id || ':' || r.x, ',' "
        "ORDER BY r.t, r.id, r.x), '')) FROM (\n  " + union + "\n) r"
    )


def _course_rows(t: dict) -> tuple[list[str], list[str]]:
    """The user, the course (``c``), their roles in it and its offerings."""
    ctes = [
        f"c AS (SELECT id, xmin, ctid FROM {t['course']} WHERE slug = %(course)s)",
        f"o AS (SELECT id, xmin, ctid FROM {t['offering']} WHERE course_id IN (SELECT id FROM c))",
    ]
    return ctes, _member_rows(t)


def _member_rows(t: dict) -> list[str]:
    """The user, the course ``c`` and its offerings ``o`` (CTEs of the statement),
    and the user's roles in both."""
    return [
        _rows(t["user"], "u", "id = %(user)s"),
        _cte_rows("c"),
        _cte_rows("o"),
        _rows(
            t["membership"],
            "m",
            "user_id = %(user)s AND course_id IN (SELECT id FROM c)",
        ),
        _rows(
            t["offering_member"],
            "om",
            "user_id = %(user)s AND offering_id IN (SELECT id FROM o)",
        ),
    ]


def _lesson_rows(t: dict) -> tuple[list[str], list[str]]:
    """The course's rows, the lesson (``l``), its quizzes (``q``) and their items."""
    ctes, rows = _course_rows(t)
    ctes += [
        f"l AS (SELECT id, xmin, ctid FROM {t['lesson']} "
        "WHERE slug = %(lesson)s AND course_id IN (SELECT id FROM c))",
    ]
    rows += [_cte_rows("l")]
    return ctes, rows


def _quiz_rows(t: dict, quizzes: str) -> tuple[list[str], list[str]]:
    ctes = [
        f"q AS (SELECT id, xmin, ctid, opens_at, due_at FROM {t['quiz']} WHERE {quizzes})",
        f"qi AS (SELECT id, xmin, ctid, problem_id FROM {t['item']} "
        "WHERE quiz_id IN (SELECT id FROM q))",
    ]
    rows = [
        _cte_rows("q"),
        _passed("q", "qo", "opens_at"),
        _passed("q", "qd", "due_at"),
        _cte_rows("qi"),
    ]
    return ctes, rows


_STATEMENTS: dict[str, str] = {}


def _sql(page: str) -> str:
    if page not in _STATEMENTS:
        _STATEMENTS[page] = _build(page, _tables())
    return _STATEMENTS[page]


def _build(page: str, t: dict) -> str:
    if page == "home":
        ctes = [
            f"c AS (SELECT id, xmin, ctid FROM {t['course']} WHERE "
            f"(SELECT is_staff FROM {t['user']} WHERE id = %(user)s) "
            f"OR id IN (SELECT course_id FROM {t['membership']} WHERE user_id = %(user)s) "
            f"OR id IN (SELECT o.course_id FROM {t['offering']} o "
            f"JOIN {t['offering_member']} om ON om.offering_id = o.id "
            "WHERE om.user_id = %(user)s))",
            f"om AS (SELECT id, xmin, ctid, offering_id FROM {t['offering_member']} "
            "WHERE user_id = %(user)s)",
        ]
        rows = [
            _rows(t["user"], "u", "id = %(user)s"),
            _cte_rows("c"),
            _rows(t["lesson"], "l", "course_id IN (SELECT id FROM c)"),
            _rows(t["membership"], "m", "user_id = %(user)s"),
            _cte_rows("om"),
            _rows(
                t["offering"],
                "o",
                "course_id IN (SELECT id FROM c) OR id IN (SELECT offering_id FROM om)",
            ),
        ]
        return _statement(ctes, rows)
    if page == "course":
        ctes, rows = _course_rows(t)
        rows.append(_rows(t["lesson"], "l", "course_id IN (SELECT id FROM c)"))
        return _statement(ctes, rows)
    ctes, rows = _lesson_rows(t)
    if page in ("lesson", "quiz"):
        more_ctes, more_rows = _quiz_rows(t, "lesson_id IN (SELECT id FROM l)")
        ctes += more_ctes + [
            f"p AS (SELECT id, xmin, ctid FROM {t['problem']} "
            "WHERE lesson_id IN (SELECT id FROM l) OR id IN (SELECT problem_id FROM qi))",
        ]
        # These pages show best graded scores only: a submission enters once
        # graded (queued and grading, on their way, change nothing shown).
        rows += more_rows + [
            _cte_rows("p"),
            _rows(
                t["submission"],
                "s",
                "student_id = %(user)s AND problem_id IN (SELECT id FROM p) "
                f"AND status = '{Submission.Status.GRADED.value}'",
            ),
        ]
        return _statement(ctes, rows)
    if page == "problem":
        ctes.append(
            f"p AS (SELECT id, xmin, ctid, due_at FROM {t['problem']} "
            "WHERE slug = %(problem)s AND lesson_id IN (SELECT id FROM l))"
        )
        # The lesson's quizzes, and any quiz holding the problem (reveal policy).
        more_ctes, more_rows = _quiz_rows(
            t,
            "lesson_id IN (SELECT id FROM l) OR id IN "
            f"(SELECT quiz_id FROM {t['item']} WHERE problem_id IN (SELECT id FROM p))",
        )
        ctes += more_ctes + [
            f"v AS (SELECT id, xmin, ctid FROM {t['variant']} "
            "WHERE student_id = %(user)s AND problem_id IN (SELECT id FROM p))",
        ]
        rows += more_rows + [
            _cte_rows("p"),
            _passed("p", "pd", "due_at"),
            _rows(t["version"], "pv", "problem_id IN (SELECT id FROM p)"),
            _cte_rows("v"),
            _rows(t["hint"], "h", "variant_id IN (SELECT id FROM v)"),
            _rows(
                t["submission"],
                "s",
                "student_id = %(user)s AND problem_id IN (SELECT id FROM p)",
            ),
        ]
        return _statement(ctes, rows)
    if page == "api-problem":
        ctes = [
            f"p AS (SELECT id, xmin, ctid, lesson_id FROM {t['problem']} "
            "WHERE id = %(problem)s)",
            f"l AS (SELECT id, xmin, ctid, course_id FROM {t['lesson']} "
            "WHERE id IN (SELECT lesson_id FROM p))",
            f"c AS (SELECT id, xmin, ctid FROM {t['course']} "
            "WHERE id IN (SELECT course_id FROM l))",
            f"o AS (SELECT id, xmin, ctid FROM {t['offering']} "
            "WHERE course_id IN (SELECT id FROM c))",
        ]
        rows = [
            *_member_rows(t),
            _cte_rows("l"),
            _cte_rows("p"),
            _rows(t["version"], "pv", "problem_id IN (SELECT id FROM p)"),
            _rows(
                t["variant"],
                "v",
                "student_id = %(user)s AND problem_id IN (SELECT id FROM p)",
            ),
        ]
        return _statement(ctes, rows)
    raise ValueError(f"no such page: {page}")


_PARAMS = ("user", "course", "lesson", "problem")


def digest(page: str, *, user_id: int, **slugs: str) -> str | None:
    """The digest of ``page`` (``home``, ``course``, ``lesson``, ``quiz``,
    ``problem``; ``api-problem`` for the API's problem and variant reads and
    the problem a submission is of, by ``problem`` id) for the user, given its URL's slugs; None off PostgreSQL.

    Each statement is prepared once per database connection (``PREPARE``):
    PostgreSQL then plans it once, not on every request (planning this union
    costs more than running it). ``PAGE_STATE_PREPARE=0`` sends it whole each
    time instead, as PgBouncer in transaction mode needs.
    """
    if connection.vendor != "postgresql":
        return None
    values = {"user": user_id, "course": "", "lesson": "", "problem": "", **slugs}
    sql = _sql(page)
    used = [name for name in _PARAMS if f"%({name})s" in sql]
    with connection.cursor() as cursor:
        if not settings.PAGE_STATE_PREPARE:
            cursor.execute(sql, values)
            return cursor.fetchone()[0]
        name = _prepared(cursor, page, sql, used)
        placeholders = ", ".join(["%s"] * len(used))
        try:
            cursor.execute(
                f"EXECUTE {name} ({placeholders})", [values[n] for n in used]
            )
        except DatabaseError:
            connections[DEFAULT_DB_ALIAS].__dict__.pop(_PREPARED, None)  # look again
            raise
        return cursor.fetchone()[0]


_PREPARED = "_tracegrade_page_state_prepared"


def _prepared(cursor, page: str, sql: str, used: list[str]) -> str:
    """The name of ``page``'s statement, prepared on this thread's connection."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's, not the shared proxy
    raw = wrapper.connection
    known = wrapper.__dict__.get(_PREPARED)
    if known is None or known[0] is not raw:  # a new connection, or after an error
        cursor.execute(
            "SELECT name FROM pg_prepared_statements "
            "WHERE name LIKE 'tracegrade_page_%%'"
        )
        known = (raw, {row[0] for row in cursor.fetchall()})
        wrapper.__dict__[_PREPARED] = known
    name = "tracegrade_page_" + page.replace("-", "_")
    if name not in known[1]:
        for number, param in enumerate(used, start=1):
            sql = sql.replace(f"%({param})s", f"${number}")
        cursor.execute(f"PREPARE {name} AS {sql}")
        known[1].add(name)
    return name
