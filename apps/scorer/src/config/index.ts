export * from './schema';
export { loadConfig, flagsToEnv, transactionalIdPrefix } from './load';
export type { ConfigSources } from './load';
