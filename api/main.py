"""The ASGI app for uvicorn: `uvicorn api.main:app`, settings from the environment.

Each server process imports this module once: its log lines are set up here (api.logs).
"""

from api.app import create_app
from api.logs import configure_logging
from api.settings import load_settings

settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
app = create_app(settings)
