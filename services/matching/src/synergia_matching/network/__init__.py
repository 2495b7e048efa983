"""The network around the actors, as the registry's events tell it: cluster profiles and
memberships, and value chains with their stages and participants."""
