"""The state of ``synergia-matching-rebuild`` (``synergia_matching.rebuild``) in the database."""
