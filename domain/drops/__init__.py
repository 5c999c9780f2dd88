"""drops."""
