"""Local stand-ins for outside services (FCM...), real enough to drive the real clients."""
