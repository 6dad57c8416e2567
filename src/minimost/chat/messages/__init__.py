"""Messages: sending, editing, deleting, pins, mentions and search; stored and sent out."""
