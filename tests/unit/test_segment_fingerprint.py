"""What a segment's incremental count depends on beyond its members' own inputs."""

from __future__ import annotations


def test_a_likely_to_redeem_segment_is_recounted_whole_when_the_recommender_retrains() -> None:
    from datetime import UTC, datetime

    from domain.segments.counting import _fingerprint
    from domain.segments.models import Segment
    from domain.segments.rules import LikelyToRedeem, SegmentRule

    segment = Segment(code="s", name="s", rule={}, updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    likely = SegmentRule(likely_to_redeem=LikelyToRedeem("SOCKS", top=5))
    plain = SegmentRule()
    before = {"achievements": 1, "recommendations": 1}
    after = {"achievements": 1, "recommendations": 2}

    assert _fingerprint(segment, likely, before) != _fingerprint(segment, likely, after)
    assert _fingerprint(segment, plain, before) == _fingerprint(segment, plain, after)
