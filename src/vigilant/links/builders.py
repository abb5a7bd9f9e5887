"""The link builders, one module each, in one visible registry: to add a kind of link, write its module
and add it to :data:`BUILDERS`."""

from __future__ import annotations

from vigilant.extension_points import Registry
from vigilant.links.build_camera import SameCamera
from vigilant.links.build_identifiers import SameIdentifier
from vigilant.links.build_near_files import NearDuplicates
from vigilant.links.build_p2p import P2pContinuity
from vigilant.links.build_records import RecordLinks
from vigilant.links.build_same_person import SamePerson
from vigilant.links.build_shared_files import SharedFiles
from vigilant.links.builder import LinkBuilder


class BuilderRegistry(Registry[LinkBuilder]):
    what = "link builder"
    plural = "builders"


BUILDERS = BuilderRegistry(
    [
        RecordLinks(),
        SharedFiles(),
        NearDuplicates(),
        SameCamera(),
        SameIdentifier(),
        P2pContinuity(),
        SamePerson(),
    ]
)
