"""purchases_service: owns the product catalog and the recorded checks."""
