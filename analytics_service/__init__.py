"""analytics_service: monthly rollups built from purchases_service events."""
