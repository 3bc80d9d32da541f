"""The instance folder is the shop's to choose: processes that share it share the cache
version files (without Redis), and test sessions running side by side must not."""

from __future__ import annotations

from qkart import create_app

CONFIG = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k" * 32, "REDIS_URL": None}


def test_the_instance_folder_comes_from_the_caller_or_the_environment(tmp_path, monkeypatch):
    assert create_app(CONFIG, instance_path=str(tmp_path / "a")).instance_path == str(
        tmp_path / "a"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QKART_INSTANCE_PATH", "b")  # relative: made absolute
    assert create_app(CONFIG).instance_path == str(tmp_path / "b")


def test_caches_keep_their_version_files_in_it(tmp_path):
    from qkart.catalog.cache import GENERATION_FILE, catalog_cache

    app = create_app(CONFIG, instance_path=str(tmp_path))
    with app.app_context():
        catalog_cache(app).bump()
    assert (tmp_path / GENERATION_FILE).read_text()
