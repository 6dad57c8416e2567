"""Schema migrations, one sub-package per database file, numbered ``NNNN_description``."""
