"""LTI 1.3 tool: OIDC login, launches, deep linking and grade passback (django-lti)."""
