"""E-mail: messages built from templates (HTML and plain text), sent by SMTP or to an outbox."""
