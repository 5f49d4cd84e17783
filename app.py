"""Entry point: ``flask --app app run`` or any WSGI server pointed at ``app:app``."""

from trip_companion import create_app

app = create_app()
