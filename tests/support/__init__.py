"""Test support: real servers, fresh databases and topics per test, service apps."""
