"""Fixtures of the payment-list and payment-round tests."""

from yiyang.entitlements.tests.payment_helpers import community_admin, people, point_lead, street_admin2  # noqa: F401
