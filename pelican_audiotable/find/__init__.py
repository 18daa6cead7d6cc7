"""Finding a page's audio tables, their clips and labels, and the file each clip
names, as a browser would resolve it."""
