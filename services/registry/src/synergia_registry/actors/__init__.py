"""Innovation actors: SMEs, clusters, intermediaries, research, investors, authorities."""
