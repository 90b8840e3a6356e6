"""Printed documents: the PDFs the product hands out (credit reports, shop posters)."""
