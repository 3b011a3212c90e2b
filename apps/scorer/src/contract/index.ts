export * from './message';
export * from './run-record';
