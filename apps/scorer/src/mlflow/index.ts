export { MlflowClient } from './client';
export type { ModelVersion, MlflowClientOptions } from './client';
export { ArtifactStore, parseArtifactUri } from './artifacts';
export type { ArtifactFile } from './artifacts';
export { MlflowTransport } from './transport';
export type { HttpMethod, MlflowTransportOptions, RequestOptions } from './transport';
export { MlflowError } from './errors';
export { authenticator, awsCredentials, trackingBaseUrl, SAGEMAKER_MLFLOW_SERVICE, TRACKING_SERVER_ARN_HEADER } from './auth';
export type { RequestAuthenticator, OutgoingRequest } from './auth';
