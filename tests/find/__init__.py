"""Finding tables and clips, and resolving them."""
