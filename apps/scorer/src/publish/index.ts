export type { OutgoingMessage, PredictionPublisher, PublishStats } from './publisher';
export { KafkaPublisher } from './kafka-publisher';
export type { KafkaPublisherOptions } from './kafka-publisher';
export { saslOptions, scramSecret, tlsOptions } from './kafka-auth';
export { kafkaSecurityFailure, isKafkaSecurityFailure, KafkaSecurityError } from './kafka-errors';
