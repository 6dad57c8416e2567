"""Migrations of ``presence.db``: presence, typing, private channels, calls, shares."""
