"""The audit log: every staff write, with who, what, before and after, when and from where."""
