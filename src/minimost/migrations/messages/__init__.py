"""Migrations of ``users/messages.db``: messages, reactions, read state, pins, search, events."""
