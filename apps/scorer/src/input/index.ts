export * from './types';
export { listInputFiles, readFile } from './read-files';
export { parseS3Uri } from './s3-files';
