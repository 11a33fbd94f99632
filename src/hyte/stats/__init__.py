"""Statistics on the tidy table: intervals, comparisons, trends, the per-indicator summary."""
