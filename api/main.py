"""The ASGI app for uvicorn: `uvicorn api.main:app`, settings from the environment.

Each server process imports this module once: its log lines are set up here (api.logs).
"""

import sys

from api.app import create_app
from api.logs import configure_logging
from api.settings import SettingsError, load_settings

try:
    settings = load_settings()
except SettingsError as error:
    # `uvicorn api.main:app` run directly: one line for the operator, not a traceback.
    print(f"fidelio: {error}", file=sys.stderr)
    raise SystemExit(2) from None
configure_logging(settings.log_format, settings.log_level)
app = create_app(settings)
