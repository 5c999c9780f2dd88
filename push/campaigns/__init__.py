"""Campaigns: messages from admins (and drop announcements) fanned out to many members."""
