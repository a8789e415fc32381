"""Camera views to the centre, a person's decisions back (``POST /api/references/sync``).

Each cycle sends, per camera, the reference view when it changed and the latest analysed view
when it changed, and receives the decisions not yet applied: ``approve`` (the reference as
decided becomes approved), ``adopt_current`` (the view the person saw becomes the reference),
``relearn`` (the reference is dropped; the camera worker learns a new one). The image in a
decision is the one the person looked at, so the agent applies exactly that, even if its own
reference changed in between. Applied decisions are acknowledged in the next call, made at
once. Standard library and the agent's own modules only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request

from custodywatch.agent.protocol import Item
from custodywatch.agent.references import ReferenceError, ReferenceStore
from custodywatch.agent.sender import USER_AGENT, DeliveryError

SYNC_PATH = "/api/references/sync"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ViewSync:
    def __init__(self, centre_url: str, token: str, references: ReferenceStore,
                 cameras: list[str], timeout: float = 30.0) -> None:
        self.url = centre_url.rstrip("/") + SYNC_PATH
        self.token = token
        self.references = references
        self.cameras = cameras
        self.timeout = timeout
        self.sent: dict[tuple[str, str], str] = {}  # (camera, "reference"|"current") -> sha
        self.applied: list[int] = []

    def _post(self, body: Item) -> Item:
        request = urllib.request.Request(  # noqa: S310 - the configured centre, http(s) only
            self.url, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{self.url}: HTTP {error.code}: "
                                f"{error.read()[:200]!r}") from error
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise DeliveryError(f"{self.url}: {error}") from error
        if not isinstance(answer, dict):
            raise DeliveryError(f"{self.url}: the answer is not a JSON object")
        return answer

    def _changed(self) -> tuple[list[Item], dict[tuple[str, str], str]]:
        items: list[Item] = []
        pending: dict[tuple[str, str], str] = {}
        for camera in self.cameras:
            item: Item = {"camera": camera}
            reference = self.references.load(camera)
            png = self.references.png(camera) if reference is not None else None
            if (reference is not None and png is not None
                    and self.sent.get((camera, "reference")) != _sha256(png)):
                item |= {"reference_png": base64.b64encode(png).decode(),
                         "reference_status": reference.status}
                pending[(camera, "reference")] = _sha256(png)
            current = self.references.current_png(camera)
            if current is not None and self.sent.get((camera, "current")) != _sha256(current):
                item["current_png"] = base64.b64encode(current).decode()
                pending[(camera, "current")] = _sha256(current)
            if len(item) > 1:
                items.append(item)
        return items, pending

    def _apply(self, decision: Item) -> None:
        camera, kind, by = decision["camera"], decision["kind"], decision["decided_by"]
        if camera not in self.cameras:
            raise ReferenceError(f"decision {decision['id']}: camera {camera} is not mine")
        image = base64.b64decode(decision["image_png"]) if decision.get("image_png") else None
        if kind in ("approve", "adopt_current"):
            if image is None or _sha256(image) != decision.get("image_sha256"):
                raise ReferenceError(f"decision {decision['id']}: image does not match its hash")
            current = self.references.png(camera)
            if kind == "approve" and current is not None and _sha256(current) == _sha256(image):
                self.references.approve(camera, by)  # keeps the learned baseline measures
            else:
                self.references.replace(camera, image, by)
        elif kind == "relearn":
            self.references.forget(camera, by)
        else:
            raise ReferenceError(f"decision {decision['id']}: unknown kind {kind!r}")

    def cycle(self) -> list[int]:
        """One exchange (two when decisions were applied, to acknowledge them at once);
        the ids of the decisions applied."""
        applied_now: list[int] = []
        for _round in range(2):
            items, pending = self._changed()
            answer = self._post({"cameras": items, "applied": self.applied})
            self.sent.update(pending)
            self.applied = []
            for decision in answer.get("decisions", []):
                try:
                    self._apply(decision)
                except ReferenceError:
                    continue  # not applied, so not acknowledged: the centre keeps showing it
                self.applied.append(int(decision["id"]))
            applied_now += self.applied
            if not self.applied:
                break
        return applied_now
