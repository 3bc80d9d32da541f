"""Admin forms arrive with the admin dashboard issue."""
