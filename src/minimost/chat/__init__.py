"""Channels and messages (the chat itself)."""
