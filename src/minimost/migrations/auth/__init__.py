"""Migrations of ``auth.db``: accounts, profile settings, password history, reset tokens."""
