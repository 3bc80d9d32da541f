"""HTTP: one blueprint per area. Views load, authorise, validate, call one service, commit."""
