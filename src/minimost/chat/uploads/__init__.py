"""Uploads: files attached to messages, streamed to disk."""
