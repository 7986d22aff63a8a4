"""Person record pages. Every view of a record is audited."""
