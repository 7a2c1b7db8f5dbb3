"""Real services (WordPress on loopback) that the integration tests start for themselves."""
