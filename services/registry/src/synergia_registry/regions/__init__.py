"""NUTS regions looked up by name, for lists that name regions in words."""
