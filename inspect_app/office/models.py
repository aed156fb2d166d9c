"""The office's tables. The campaign model lives with tickets (tickets.campaigns), because the ticket
list filters by it and tickets must not import office; importing it here registers it for the schema."""
from ..tickets.campaigns import Campaign, campaign_categories  # noqa: F401  (registers the tables)

__all__ = ["Campaign", "campaign_categories"]
