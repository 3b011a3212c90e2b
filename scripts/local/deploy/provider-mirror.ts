// Where the hashicorp/aws provider comes from for a local apply. A filesystem mirror is used when one is
// configured or found (offline machines ship one); otherwise terraform downloads the stacks' pinned version
// from the registry. When the mirror lacks the pinned version, its newest version is used and the caller says so.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const AWS_PROVIDER_PATH = path.join('registry.terraform.io', 'hashicorp', 'aws');

export interface ProviderChoice {
  /** Directory for `terraform init -plugin-dir`, or undefined to use the registry. */
  readonly pluginDir?: string;
  /** Where the mirror was found: a flag/variable, the CLI config, or a search. */
  readonly source: string;
  /** The provider version terraform will install. */
  readonly version: string;
  /** The version the stacks pin (required_providers.aws.version). */
  readonly pinned: string;
}

const platform = `${process.platform === 'win32' ? 'windows' : process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** Versions of hashicorp/aws in a mirror directory (unpacked layout) that have a build for this platform. */
export function mirrorVersions(mirrorDir: string): string[] {
  const root = path.join(mirrorDir, AWS_PROVIDER_PATH);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((version) => fs.existsSync(path.join(root, version, platform)))
    .sort(compareVersions);
}

export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? 0, pb[i] ?? 0];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** `filesystem_mirror { path = "…" }` entries of a Terraform CLI configuration file (HCL), if it exists. */
export function mirrorsInCliConfig(file: string | undefined): string[] {
  if (!file || !fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"/g)].map((m) => m[1] as string);
}

/** Terraform's implied local mirror directories on Unix (terraform docs: "Implied Local Mirror Directories"). */
function impliedMirrors(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? os.homedir();
  const dataDirs = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  return [path.join(home, '.terraform.d', 'plugins'), path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'terraform', 'plugins'), ...dataDirs.map((d) => path.join(d, 'terraform', 'plugins'))];
}

/** A bounded search for `<dir>/registry.terraform.io/hashicorp/aws` under a few roots (like `find / -name terraform-provider-aws_*`). */
export function searchMirrors(roots: readonly string[], maxDepth = 3): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (mirrorVersions(dir).length > 0) {
      found.push(dir);
      return;
    }
    if (depth >= maxDepth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules' && entry.name !== 'proc') visit(path.join(dir, entry.name), depth + 1);
    }
  };
  for (const root of roots) visit(root, 0);
  return found;
}

/**
 * Picks the provider for a stack pinned to `pinned`: an explicit mirror (TF_PLUGIN_MIRROR or the option), then
 * the CLI configuration's filesystem mirrors, Terraform's implied mirror directories, and a short search of /opt;
 * the first mirror holding the pinned version wins, else the first mirror with any version (its newest).
 */
export function chooseProvider(pinned: string, options: { mirror?: string; env?: NodeJS.ProcessEnv; searchRoots?: readonly string[] } = {}): ProviderChoice {
  const env = options.env ?? process.env;
  const explicit = options.mirror ?? env.TF_PLUGIN_MIRROR;
  const candidates: { dir: string; source: string }[] = explicit
    ? [{ dir: explicit, source: options.mirror ? '--plugin-dir' : 'TF_PLUGIN_MIRROR' }]
    : [
        ...mirrorsInCliConfig(env.TF_CLI_CONFIG_FILE ?? path.join(env.HOME ?? os.homedir(), '.terraformrc')).map((dir) => ({ dir, source: 'the Terraform CLI configuration' })),
        ...impliedMirrors(env).map((dir) => ({ dir, source: "Terraform's implied mirror directory" })),
        ...searchMirrors(options.searchRoots ?? ['/opt']).map((dir) => ({ dir, source: 'a search of /opt' })),
      ];
  const withVersions = candidates.map((c) => ({ ...c, versions: mirrorVersions(c.dir) })).filter((c) => c.versions.length > 0);
  if (explicit && withVersions.length === 0) {
    throw new Error(`the provider mirror ${explicit} (${candidates[0]?.source}) holds no hashicorp/aws build for ${platform} under ${AWS_PROVIDER_PATH}/<version>/${platform}/`);
  }
  const exact = withVersions.find((c) => c.versions.includes(pinned));
  if (exact) return { pluginDir: exact.dir, source: exact.source, version: pinned, pinned };
  const first = withVersions[0];
  if (first) return { pluginDir: first.dir, source: first.source, version: first.versions[first.versions.length - 1] as string, pinned };
  return { source: 'the Terraform registry', version: pinned, pinned };
}

export function describeProvider(choice: ProviderChoice): string {
  const where = choice.pluginDir ? `the mirror ${choice.pluginDir} (${choice.source})` : choice.source;
  const differs = choice.version === choice.pinned ? '' : ` — the stacks pin ${choice.pinned}, which it does not have, so this local apply overrides the version`;
  return `provider hashicorp/aws ${choice.version} from ${where}${differs}`;
}
