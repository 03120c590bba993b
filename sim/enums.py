"""Agent states, roles and kinds: the one place where the integer codes live.

Every code is an ``IntEnum`` whose values fit ``np.int8``; kernels receive the plain integers
(``int(Role.DEALER)``) and the arrays are typed with the dtypes below.
"""

from enum import IntEnum

import numpy as np

INDEX = np.int32  # member, official and organization indices
SMALL = np.int8  # enum-valued arrays
FLOAT = np.float64


class Role(IntEnum):
    """Role of a member inside an organization."""

    LEADER = 0
    LIEUTENANT = 1
    LOGISTICS = 2  # traffickers, transporters
    ENFORCER = 3
    LAUNDERER = 4
    DEALER = 5  # street-level retail


N_ROLES = len(Role)


class Status(IntEnum):
    """Life-cycle status of a member slot (slots are flagged, never deleted)."""

    UNUSED = 0
    ACTIVE = 1
    INCARCERATED = 2
    DEAD = 3
    EXITED = 4


class OrgKind(IntEnum):
    CARTEL = 0  # transnational trafficking organization
    GANG = 1  # local gang: retail, extortion, local violence


class OfficialType(IntEnum):
    POLICE = 0
    CUSTOMS = 1
    JUDICIAL = 2
    POLITICAL = 3


N_OFFICIAL_TYPES = len(OfficialType)


class Mode(IntEnum):
    LAND = 0
    SEA = 1
    AIR = 2


class AgencyKind(IntEnum):
    LOCAL = 0  # partner-country police and prosecutors
    NATIONAL = 1  # consumer-country federal agencies
    INTERNATIONAL = 2  # international partner agency (liaison, intelligence hub)


# Region role bit flags (a region may hold several).
ROLE_SOURCE = 1
ROLE_TRANSIT = 2
ROLE_CONSUMER = 4
REGION_ROLE_BITS = {"source": ROLE_SOURCE, "transit": ROLE_TRANSIT, "consumer": ROLE_CONSUMER}
