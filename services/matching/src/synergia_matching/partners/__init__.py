"""Partner search: who complements whom, ranked and explained."""
