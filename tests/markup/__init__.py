"""The tokenizer and the table tree."""
