"""The anniversary automation: members celebrated on the anniversary of their first purchase
with an offer the admins configure (bonus points, a reward's coupon, or both)."""
