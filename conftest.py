import pytest

from tests import factories  # shared by yiyang/*/tests and tests/


@pytest.fixture(autouse=True, scope="session")
def var_dir_outside_the_checkout(tmp_path_factory):
    """Staged uploads and anything else the code writes under VAR_DIR go to a temporary
    folder, never into the checkout's var/ (the keys read at start-up stay where they are)."""
    from django.conf import settings

    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    yield settings.VAR_DIR


@pytest.fixture(autouse=True, scope="session")
def replica_reads_off():
    """With a read replica configured (``YIYANG_PG_REPLICA=1``), tests read from the primary:
    their data sit in a transaction the replica never sees. The tests of the replica itself
    switch it back on (tests/test_replica.py)."""
    from django.conf import settings

    settings.YIYANG["REPLICA_READS"] = False
    yield


@pytest.fixture
def tree(db):
    factories.load_tree()


@pytest.fixture
def superuser(tree):
    return factories.make_user("root", "city_admin", None, is_superuser=True, is_staff=True)


@pytest.fixture
def worker(tree):
    return factories.make_user("worker_a", "commissioner", factories.COMMUNITY_A)


@pytest.fixture
def street_admin(tree):
    return factories.make_user("street_a", "street_admin", "440304006000")


@pytest.fixture
def district_admin(tree):
    return factories.make_user("district", "district_admin", "440304000000")


@pytest.fixture
def elder(superuser):
    return factories.make_elder(superuser)
