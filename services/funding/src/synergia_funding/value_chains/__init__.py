"""The value chains funding knows from the registry's events, and who leads them."""
