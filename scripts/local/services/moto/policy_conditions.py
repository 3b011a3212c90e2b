"""Policy conditions on keys a request does not carry, for moto's bucket-policy checks.

moto (5.2) evaluates a bucket policy on object requests, but treats a condition on a key the request context does
not hold as satisfied — so a bucket with the usual TLS-only statement (Deny s3:* when aws:SecureTransport is
false) refuses every object request, since moto supplies no aws:SecureTransport. In AWS such a condition is false,
and the statement does not apply; only negated operators (…Not…), …IfExists and Null treat an absent key as a match
(IAM condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).

moto supplies no condition keys for these requests (the emulator is served over plain HTTP), so the TLS-only
statement is stored but never exercised here; conditions on keys moto does supply are left to moto.
"""

from __future__ import annotations

from typing import Any

from moto.iam import access_control
from moto.iam.access_control import PermissionResult

_original_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _absent_key_matches(operator: str, expected: Any) -> bool:
    """Whether a condition operator holds for a key the request context does not have."""
    if operator.endswith("IfExists") or "Not" in operator:
        return True
    if operator == "Null":
        values = expected if isinstance(expected, list) else [expected]
        return all(str(value).lower() == "true" for value in values)
    return False


def applies(statement: dict[str, Any], incoming: dict[str, str] | None) -> bool:
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            if incoming and key in incoming:
                continue  # moto evaluates keys it supplies
            if not _absent_key_matches(operator, expected):
                return False
    return True


def _is_action_permitted(
    self: access_control.IAMPolicyStatement,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> Any:
    if not applies(self._statement, incoming_condition_values):
        return PermissionResult.NEUTRAL
    return _original_is_action_permitted(self, action, resource, principal, incoming_condition_values)


def install() -> None:
    access_control.IAMPolicyStatement.is_action_permitted = _is_action_permitted  # type: ignore[method-assign]
