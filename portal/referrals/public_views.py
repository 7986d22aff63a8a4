"""Public side of referrals: ask for help, follow a request."""
