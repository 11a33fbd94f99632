"""The Quarto book: chapter functions, generated files, maps and overview, render and pre-render."""
