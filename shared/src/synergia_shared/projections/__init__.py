"""Rules shared by the services' projections of other services' aggregates."""
