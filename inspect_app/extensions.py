"""Extension objects, created unbound; create_app() binds them."""
from flask import request as current_request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .http import API_PREFIX

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signer made once per key instead of twice on every request.

    The API (/api/) authenticates by bearer token and ignores session cookies: its requests get an empty session
    that is never read from nor written to a cookie, so its responses set no cookie and carry no `Vary: Cookie`."""

    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if current_request.path.startswith(API_PREFIX):
            return None
        return super().save_session(app, session, response)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = app.extensions.get("session_signer")
        if made is None or made[0] != keys:
            made = app.extensions["session_signer"] = (keys, super().get_signing_serializer(app))
        return made[1]
