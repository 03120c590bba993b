"""Tests of the web app (tocsim/web): a package, so that its conftest does not shadow
tests/conftest.py (other tests import helpers from it as `conftest`)."""
