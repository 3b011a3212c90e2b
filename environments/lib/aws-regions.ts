// Region codes checked against the AWS partitions' region lists (aws-regions.json, with its source and date),
// so a typo such as "eu-centrl-1" fails synth with a suggestion instead of failing the deploy. The stacks write
// commercial-partition ARNs ("arn:aws:…"), so a region of another partition is refused with that reason.
import regionData from './aws-regions.json';

/** The partition whose ARNs the stacks write (platformArns). */
export const SUPPORTED_PARTITION = 'aws';

const partitions: Readonly<Record<string, readonly string[]>> = regionData.partitions;
const partitionByRegion = new Map(Object.entries(partitions).flatMap(([partition, regions]) => regions.map((region) => [region, partition] as const)));

/** The partition of a known region, e.g. "aws-cn" for "cn-north-1"; undefined for an unknown code. */
export function partitionOf(region: string): string | undefined {
  return partitionByRegion.get(region);
}

/** Why a region code cannot be used, or undefined when it can. */
export function regionProblem(region: string): string | undefined {
  const partition = partitionOf(region);
  if (partition === SUPPORTED_PARTITION) return undefined;
  if (partition !== undefined) {
    return `must be a region of the commercial partition "${SUPPORTED_PARTITION}": ${region} is in "${partition}", whose ARNs the stacks do not write`;
  }
  const suggestion = closestRegion(region);
  const hint = suggestion ? `; did you mean "${suggestion}"?` : ', e.g. "eu-central-1"';
  return `must be an AWS region code${hint} (known regions as of ${regionData.retrieved}: environments/lib/aws-regions.json)`;
}

/** The known region nearest to a mistyped code (edit distance at most 3), if any. */
export function closestRegion(region: string): string | undefined {
  let best: { region: string; distance: number } | undefined;
  for (const candidate of partitions[SUPPORTED_PARTITION] ?? []) {
    const distance = editDistance(region.toLowerCase(), candidate);
    if (distance <= 3 && (!best || distance < best.distance)) best = { region: candidate, distance };
  }
  return best?.region;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
