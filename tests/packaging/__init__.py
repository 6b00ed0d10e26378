"""Tests of the bundle and the Debian package that IT admins roll out."""
