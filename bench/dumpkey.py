"""Print the cache key of a seeded bench database: migration head plus seed fingerprint.

``bench/run.sh`` names its pg_dump after this key (and the product count), so a new
migration or a change to the seed code makes a fresh dump instead of restoring a
database whose schema or data no longer match the code being measured.
"""

from __future__ import annotations

import hashlib

from alembic.script import ScriptDirectory

from qkart import MIGRATIONS_DIR

ROOT = MIGRATIONS_DIR.parent
# What decides the rows `flask seed` writes; the schema is covered by the migration head.
SEED_SOURCES = ("qkart/catalog/seed.py", "qkart/cli.py", "qkart/catalog/data/classic.json")


def migration_head() -> str:
    """The Alembic head revision(s); several heads are joined so the key stays one word."""
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    return "+".join(sorted(heads)) or "base"


def seed_fingerprint() -> str:
    """A short hash of the seed code and data."""
    digest = hashlib.sha256()
    for name in SEED_SOURCES:
        path = ROOT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:8]


if __name__ == "__main__":
    print(f"{migration_head()}-{seed_fingerprint()}")
