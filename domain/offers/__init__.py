"""Personal offers: rewards recommended from each member's behaviour.

A recommender (implicit-feedback collaborative filtering, `implicit`'s ALS) is trained on the
program's own interactions (purchases by category, redemptions, drop claims, badges) by a
scheduled job and a command; what it learnt is stored as each member's top rewards with the
reason, and popularity per tier and region for members the model knows nothing of. The app
reads the stored scores: no model runs in a request.
"""
