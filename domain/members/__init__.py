"""Members: who they are, their profile and their devices."""
