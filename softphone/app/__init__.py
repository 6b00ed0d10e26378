"""The composition of the app: scripted calls, accounts, the self-test, the peer process."""
