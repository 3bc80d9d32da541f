"""Shop settings staff change from the browser; the environment keeps secrets and services."""
