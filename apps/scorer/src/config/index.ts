export * from './schema';
export { loadConfig, flagsToEnv } from './load';
export type { ConfigSources } from './load';
