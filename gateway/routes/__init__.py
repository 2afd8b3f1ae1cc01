"""HTTP endpoints of the gateway, one blueprint per group of endpoints."""

from gateway.routes.analytics import analytics
from gateway.routes.users import users


BLUEPRINTS = (users, analytics)
