"""Data in: reference regions, the indicator catalog, Sotkanet fetch/import, snapshots, the tidy table."""
