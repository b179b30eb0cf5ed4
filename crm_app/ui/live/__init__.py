"""Live updates: the registries of who has what open, and the pusher that refreshes exactly those tabs."""
