// The secured local services for an environment (normally `local`): what its Kafka team and MLflow admin would
// provision before it is deployed. The prediction, dead-letter and end-of-run topics exist (created by the admin; the scorer's
// user may not create topics, as in AWS); the producer user may write exactly those three topics with the scorer's
// transactional ids; the consumer user may read them in topic:read's throwaway groups. The AWS emulator answers
// as the environment's account and region, so the secrets' ARNs are the ones that environment would name.
import { transactionalIdPrefix } from '../../apps/scorer/src/config';
import { scorerTopics } from '../../environments/lib/kafka-topics';
import type { EnvironmentConfig } from '../../environments';
import { READER_GROUP_PREFIX } from '../topics/read-and-validate';
import type { StartOptions } from './services';

export function securedServicesFor(config: EnvironmentConfig): Required<Pick<StartOptions, 'secure' | 'awsAccountId' | 'awsRegion'>> {
  // With the end-of-run records' topic (docs/prediction-contract.md), which consumers read as well.
  const topics = scorerTopics(config.kafka);
  return {
    awsAccountId: config.account.id,
    awsRegion: config.account.region,
    secure: {
      kafka: {
        topics,
        producer: { topics, transactionalIdPrefix: transactionalIdPrefix(config.kafka.topic) },
        consumer: { topics, groupPrefix: READER_GROUP_PREFIX },
      },
    },
  };
}
