"""purchases."""
