"""Team proposals for value chains: candidates from the projection, teams from the
optimiser (``teams``), stored, and accepted or declined as events."""
