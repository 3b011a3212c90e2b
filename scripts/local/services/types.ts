export type ServiceName = 'kafka' | 'mlflow' | 'aws';
export const ALL_SERVICES: readonly ServiceName[] = ['kafka', 'mlflow', 'aws'];

export interface Endpoints {
  kafka?: { brokers: string[] };
  mlflow?: { trackingUri: string };
  aws?: { endpointUrl: string; region: string; accountId: string };
}
