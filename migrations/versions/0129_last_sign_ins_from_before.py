"""last_sign_ins filled from the sign-ins an older release kept: 0104 made the table empty, so after an upgrade every
account read 从未登录 and the accounts page's 90 天以上未登录 named every working account (made long ago) as one to
disable. Each account without a row takes the latest of its login sessions' and API tokens' creation (both made only
by a sign-in with the password); rows recorded since 0104 are left as they are.

Revision ID: 0129
Revises: 0128
Create Date: 2027-01-08 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0129'
down_revision = '0128'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO last_sign_ins (user_id, at) "
        "SELECT signed.user_id, MAX(signed.at) FROM ("
        " SELECT user_id, created_at AS at FROM login_sessions"
        " UNION ALL SELECT user_id, created_at AS at FROM api_tokens) AS signed "
        "WHERE NOT EXISTS (SELECT 1 FROM last_sign_ins AS kept WHERE kept.user_id = signed.user_id) "
        "GROUP BY signed.user_id"
    )


def downgrade():
    pass  # the rows stay: sign-ins as true as those recorded since 0104
