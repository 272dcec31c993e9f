"""The centre's web dashboard: server-rendered pages (Jinja2) for central staff, by role.

:func:`kiosk.central.web.mount.mount` adds it to the collection API's FastAPI app; each
area's pages live in their own module (``pages_*.py``) with their templates in
``templates/`` and the stylesheet and the enrol form's point box script in ``static/``
(nothing is loaded from another site). The package itself imports nothing, so
``kiosk-central users`` does not load the web stack.
"""
