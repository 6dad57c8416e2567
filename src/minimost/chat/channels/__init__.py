"""Channels: who may read and post, private channels, and read positions."""
