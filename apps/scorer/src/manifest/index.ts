export * from './manifest';
export { RejectedRowsFile } from './rejected-rows';
