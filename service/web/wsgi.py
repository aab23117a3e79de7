"""The WSGI entry for production servers: `gunicorn 'service.web.wsgi:app'`.

Importing this module loads the configuration ($TTHC_CONFIG, else ./config.toml) and builds the
app; that is its only purpose, so nothing else imports it.
"""

from service.cli.context import load_settings
from service.web import create_app

app = create_app(load_settings())
