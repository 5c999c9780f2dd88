"""The ASGI app for uvicorn: `uvicorn api.main:app`, settings from the environment."""

from api.app import create_app
from api.settings import load_settings

app = create_app(load_settings())
