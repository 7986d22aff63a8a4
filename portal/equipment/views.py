"""Equipment pages."""
