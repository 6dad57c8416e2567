"""Reactions: the named set shared with the browser, and toggling them."""
