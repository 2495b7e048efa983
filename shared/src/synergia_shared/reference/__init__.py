"""Reference data of the field (countries, …) that every service reads the same way."""
