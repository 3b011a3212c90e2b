export type ServiceName = 'kafka' | 'mlflow' | 'aws';
export const ALL_SERVICES: readonly ServiceName[] = ['kafka', 'mlflow', 'aws'];

/** Addresses and, in the secured mode, how to authenticate: file paths and secret ARNs, never a password. */
export interface Endpoints {
  kafka?: { brokers: string[]; security?: KafkaEndpointSecurity };
  mlflow?: { trackingUri: string; security?: MlflowEndpointSecurity };
  aws?: { endpointUrl: string; region: string; accountId: string };
}

export interface KafkaEndpointSecurity {
  protocol: 'SASL_SSL';
  mechanism: 'scram-sha-512';
  /** PEM of the CA that signed the broker's certificate. */
  caFile: string;
  /** The same CA as an object in the emulator's S3 (set when the AWS emulator runs in the same run). */
  caUri?: string;
  /** Secrets Manager secrets {"username","password"} of the producer and consumer users (with the emulator). */
  producerSecretArn?: string;
  consumerSecretArn?: string;
  secretKmsKeyArn?: string;
}

export interface MlflowEndpointSecurity {
  auth: 'basic';
  /** Secrets Manager secret {"username","password"} of the app user (with the emulator). */
  credentialsSecretArn?: string;
  secretKmsKeyArn?: string;
}
