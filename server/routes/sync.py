"""Offline sync: push a device's outbox, pull what changed. The rules live in server/domain/sync.py."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from .. import unit_of_work
from ..domain import sync
from ..schemas.sync import SyncPullOut, SyncPullQuery, SyncPushIn, SyncPushOut

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync (SYNC.md)")


@blp.route("/push", methods=["POST"])
@login_required
@blp.arguments(SyncPushIn)
@blp.response(200, SyncPushOut)
@blp.alt_response(403, description="The device is registered to another account (code `device_taken`)")
@blp.alt_response(413, description="More than SYNC_MAX_MUTATIONS mutations (code `too_many_mutations`)")
def push(data):
    """Apply a batch of mutations from a device's outbox, in order. The reply is sent only after the
    batch is committed; remove outbox entries by the per-mutation results it lists."""
    return unit_of_work.run(lambda: sync.push(current_user, data["device_id"], data["mutations"]))


@blp.route("/pull")
@login_required
@blp.arguments(SyncPullQuery, location="query")
@blp.response(200, SyncPullOut)
def pull(args):
    """What changed in your scope since `cursor`, oldest first. Repeat with the new cursor while
    `more` is true; a `delete` of a person means delete them and all their records."""
    # The domain builds the page in SyncPullOut's shape, each record already dumped by its own
    # schema: sent as it is, since dumping a large page's changes a second time cost a tenth of it.
    return jsonify(sync.pull(current_user, args["cursor"], args["limit"]))
