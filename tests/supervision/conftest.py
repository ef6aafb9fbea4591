# The supervisor pages read the promises' figures: the same Monday morning in Lima.
from tests.promises.conftest import clock  # noqa: F401  (a fixture, found by name)
