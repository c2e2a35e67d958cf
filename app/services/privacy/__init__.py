"""Privacy (KVKK): anonymisation, retention and data-subject requests, the personal-data view log."""
