"""placeholder until this package lands."""
