"""HTML as browsers read it (the standard's tokenizer, a table span as a small
tree written back byte for byte), knowing nothing of audio."""
