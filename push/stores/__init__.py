"""Stores, their geofences and the promotions that fire when members come by."""
