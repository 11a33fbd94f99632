"""Figures: the style, the matplotlib figures, their files, alt text and PNG optimising."""
