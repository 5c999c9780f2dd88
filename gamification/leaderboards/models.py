"""Tortoise models of this area (none yet)."""
