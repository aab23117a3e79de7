"""The WSGI entry point for gunicorn: `gunicorn service.web.wsgi:app`.

Loading this module is the one place a web process reads its configuration (TTHC_CONFIG and
TTHC_* variables) and sets up its logs; `create_app` itself stays free of side effects.
"""

from service.cli.context import load_settings
from service.config.secret_key import serving_key
from service.logs import setup_logging
from service.web import create_app, settle_heap

settings = load_settings()
setup_logging(settings)
# A weak or shipped key stops the worker before it serves: see service/config/secret_key.py.
app = create_app({**settings, "secret_key": serving_key(settings)})
settle_heap()
