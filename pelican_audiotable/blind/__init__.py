"""Blind tables: trials written anew, the recipes their copies are made by, the
leak audit, and readers' results (tokens, tally)."""
