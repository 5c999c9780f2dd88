"""Badges and challenges as stored state (the engine that awards them is in gamification)."""
