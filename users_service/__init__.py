"""users_service: owns the users database."""
