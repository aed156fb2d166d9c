"""Every model, imported once so metadata (create_all, Alembic) sees all tables."""
from .features import feature_modules

MODEL_MODULES = feature_modules("models")
