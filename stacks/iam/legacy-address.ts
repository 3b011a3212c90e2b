// The Terraform address a resource had at an earlier construct path, for `moved` blocks: cdktf names a resource
// "<path joined by _>_<hash of the path>", and the hash is cdktf's own function of the path components.
// cdktf exports it only from a private module; cdktf is archived (no upgrade will move it), and the stack test
// pins the resulting addresses literally, so a change would fail there rather than in a deploy.
import { makeUniqueId } from 'cdktf/lib/private/unique';

/** e.g. legacyAddress('aws_iam_role', ['roles', 'execution-role']) → "aws_iam_role.roles_execution-role_E8F4C7C8". */
export function legacyAddress(resourceType: string, constructPath: readonly string[]): string {
  return `${resourceType}.${makeUniqueId([...constructPath])}`;
}
