"""Code lists for dropdowns and labels, served with ETag and long cache."""
