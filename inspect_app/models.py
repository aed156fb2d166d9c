"""Every model, imported once so metadata (create_all, Alembic) sees all tables."""
from .auth.models import ApiToken, User  # noqa: F401
from .common.models import Counter  # noqa: F401
from .photos.models import Photo  # noqa: F401
from .tickets.models import ExtensionRequest, Ticket, TicketEvent  # noqa: F401
from .units.models import Category, Segment, Unit  # noqa: F401
from .workdays.models import Holiday  # noqa: F401
