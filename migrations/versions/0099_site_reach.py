"""A site keeps how far it reaches from its centre (reach_m: an area's farthest outline vertex, 0 for a point), so
the search for sites near a problem widens its box by it: a problem inside a large park or at its gate, far from the
park's centre, finds the park. Existing area sites take it from their outline.

Revision ID: 0099
Revises: 0098
Create Date: 2026-12-04 09:00:00

"""
import json
import math

import sqlalchemy as sa
from alembic import op

revision = '0099'
down_revision = '0098'
branch_labels = None
depends_on = None

# As inspect_app/common/geo.py measures today (frozen here: that module may change later; a migration must not).
EARTH_RADIUS_M = 6_371_008.8


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    kx = math.cos(math.radians((lat1 + lat2) / 2)) * math.pi / 180 * EARTH_RADIUS_M
    ky = math.pi / 180 * EARTH_RADIUS_M
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * ky)


def _reach_m(lat, lon, area_json) -> float:
    try:
        ring = json.loads(area_json) if area_json else []
    except ValueError:
        return 0.0
    if lat is None or lon is None or not ring:
        return 0.0
    return max(_distance_m(lat, lon, float(p[1]), float(p[0])) for p in ring)


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reach_m', sa.Float(), server_default='0', nullable=False))
    conn = op.get_bind()
    sites = sa.table('sites', sa.column('id', sa.Integer), sa.column('lat', sa.Float), sa.column('lon', sa.Float),
                     sa.column('area_json', sa.Text), sa.column('reach_m', sa.Float))
    rows = conn.execute(sa.select(sites.c.id, sites.c.lat, sites.c.lon, sites.c.area_json)
                        .where(sites.c.area_json != '')).all()
    for site_id, lat, lon, area_json in rows:
        reach = _reach_m(lat, lon, area_json)
        if reach:
            conn.execute(sites.update().where(sites.c.id == site_id).values(reach_m=reach))


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('reach_m')
