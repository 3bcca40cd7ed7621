"""Event types of accounts: login locks (DESIGN §5's audit trail of security events)."""

from django.utils.translation import gettext_lazy as _

LOGIN_LOCKED = "account.login_locked"
LOGIN_UNLOCKED = "account.login_unlocked"
TOKENS_REVOKED = "account.tokens_revoked"

EVENT_TYPES = {
    LOGIN_LOCKED: _("登录被锁定"),
    LOGIN_UNLOCKED: _("解除登录锁定"),
    TOKENS_REVOKED: _("吊销 API 令牌"),
}
