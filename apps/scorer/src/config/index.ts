export * from './schema';
export { loadConfig, flagsToEnv, transactionalIdPrefix, readCaCertificates, checkCaCertificates } from './load';
export type { ConfigSources } from './load';
