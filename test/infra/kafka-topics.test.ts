import { runsTopicOf as scorerRule } from '../../apps/scorer/src/contract/run-record';
import { runsTopicOf, scorerTopics } from '../../environments';

describe("the scorer's Kafka topics as the infrastructure knows them", () => {
  it('name the end-of-run topic by the same rule as the scorer', () => {
    for (const topic of ['prod.predictions', 'a', 'team_x-predictions.v2']) expect(runsTopicOf(topic)).toBe(scorerRule(topic));
  });

  it('are the prediction, dead-letter and end-of-run topics, in that order', () => {
    expect(scorerTopics({ topic: 'prod.predictions', deadLetterTopic: 'prod.predictions.dlq' })).toEqual(['prod.predictions', 'prod.predictions.dlq', 'prod.predictions.runs']);
  });
});
