"""The authorization matrix's objects (two facilities, each with a visit, a record, a
complaint, a case ...), shared so that these tests follow the matrix as it grows."""

from tests.test_authorization_matrix import staff, worlds  # noqa: F401 - fixtures, used by name
