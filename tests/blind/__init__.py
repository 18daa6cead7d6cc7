"""Blind tables, their copies, studies and readers' results."""
