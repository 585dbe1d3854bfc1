"""Terminal user interfaces (Textual): screens call Project; widgets never touch the store."""
