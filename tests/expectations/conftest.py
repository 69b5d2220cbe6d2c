import pytest


@pytest.fixture(scope="session")
def validator():
    """One validator for the whole run: the GX import and suite build happen once."""
    from expectations.runner import get_validator

    return get_validator()
