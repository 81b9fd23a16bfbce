"""Sessions read from the cache, written through to the database.

Django's ``cached_db`` store saves a query per request (the session is read
from Redis); this one also keeps working when the cache is down, as every
other use of the cache here does (throttles let requests through): a failed
read falls back to the database and a failed write is logged. A session is
deleted from the cache first, so a logout that cannot reach the cache fails
(503) rather than leaving a cached copy that would still sign the browser in.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception as error:
            logger.warning(
                "session cache unavailable (%r); reading the database", error
            )
            return self._load_from_database(cache=False)
        if data is None:
            return self._load_from_database(cache=True)
        return data

    def _load_from_database(self, *, cache: bool) -> dict:
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        if cache:
            try:
                self._cache.set(
                    self.cache_key, data, self.get_expiry_age(expiry=row.expire_date)
                )
            except Exception as error:
                logger.warning("session cache unavailable (%r); not stored", error)
        return data

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception:  # the cache is down: the database knows every session
            return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        super(cached_db.SessionStore, self).save(must_create)  # the database first
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception as error:
            logger.warning("session cache unavailable (%r); dropping its copy", error)
            try:
                self._cache.delete(self.cache_key)  # never serve an older copy
            except Exception:
                pass

    def cycle_key(self):
        """A new key for the same data (at sign-in); the old key's copy may linger.

        Tolerated here only: the old copy holds what the session held before
        signing in, and ``flush`` (sign-out) still refuses to leave one.
        """
        old_key = self.session_key
        try:
            super().cycle_key()
        except Exception as error:
            if self.session_key == old_key or self.session_key is None:
                raise
            logger.warning("session cache unavailable (%r) at sign-in", error)
            super(cached_db.SessionStore, self).delete(old_key)

    def delete(self, session_key=None):
        if session_key is None:
            session_key = self.session_key
        if session_key is not None:
            self._cache.delete(self.cache_key_prefix + session_key)
        super(cached_db.SessionStore, self).delete(session_key)
