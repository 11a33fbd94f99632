"""hyte: wellbeing reporting for a Finnish wellbeing services county (hyvinvointialue)."""

__version__ = "0.1.0"
