"""Fake network peers on 127.0.0.1 for the publisher tests."""
