export { MlflowClient, parseArtifactUri } from './client';
export type { ArtifactFile, ModelVersion, MlflowClientOptions } from './client';
export { MlflowError } from './errors';
export { authenticator, trackingBaseUrl, SAGEMAKER_MLFLOW_SERVICE, TRACKING_SERVER_ARN_HEADER } from './auth';
export type { RequestAuthenticator, OutgoingRequest } from './auth';
