"""Who is acting: the account, its permissions and its scope, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridgov.accounts.permissions import ROLE_LABELS, ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scope import Scope
from gridgov.kit.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    role: Role
    scope: Scope
    permissions: frozenset[Perm] = field(default_factory=frozenset)
    display_name: str = ""
    organisation_id: int | None = None
    client_ip: str = ""

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        """The platform itself (CLI, seeding, scheduled jobs): everything, everywhere."""
        return cls(
            id=None,
            username=reason,
            role=Role.ADMIN,
            scope=Scope.everything(),
            permissions=ROLE_PERMISSIONS[Role.ADMIN],
            display_name="系统",
        )

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    def require(self, perm: Perm) -> None:
        if perm not in self.permissions:
            raise PermissionDenied(
                f"当前账号（{self.role_label}）没有“{perm.value}”权限",
                code="permission_denied",
                permission=perm.value,
            )

    def require_path(self, path: str) -> None:
        """Refuse to touch a region-located object outside the actor's scope."""
        if not self.scope.covers_path(path):
            raise PermissionDenied("该对象不在您的管辖范围内", code="out_of_scope")
