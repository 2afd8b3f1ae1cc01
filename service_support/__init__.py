"""Code shared by the three Nameko services: settings, database, runner."""
