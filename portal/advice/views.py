"""Self-assessment pages."""
