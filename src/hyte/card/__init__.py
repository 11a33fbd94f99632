"""The municipal card: its content (web) and its print layout."""
