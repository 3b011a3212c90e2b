// environments/image-tags/<env>.json records which image tag an environment deploys; the environment config
// reads it. Written only after both images are pushed, atomically, so a failed push never leaves a tag that
// points at an image that does not exist.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ImageName } from './plan';

export const imageTagsSchema = z.object({ trainer: z.string().min(1), scorer: z.string().min(1) });
export type ImageTags = z.infer<typeof imageTagsSchema>;

export function imageTagsPath(repoRoot: string, env: string): string {
  return path.join(repoRoot, 'environments', 'image-tags', `${env}.json`);
}

export async function readImageTags(file: string): Promise<ImageTags | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = imageTagsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} does not hold {"trainer": "<tag>", "scorer": "<tag>"}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Sets the tags of the given images, keeping the other's recorded tag, and returns what was written. */
export async function recordImageTags(file: string, tags: Partial<Record<ImageName, string>>): Promise<ImageTags> {
  const current = await readImageTags(file);
  const next = imageTagsSchema.parse({ ...current, ...tags });
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
  await fs.rename(temporary, file);
  return next;
}
