"""Annotating an open table: its players' attributes and captions, what facts
read as, and whether a row is a fair fight."""
