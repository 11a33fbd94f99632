"""The wellbeing plan and its follow-up: the validated plan, progress, partners and their chapters."""
